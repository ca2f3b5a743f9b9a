// Copies strokefair volumes into ITK images. Included only by the few files that call ITK.
#pragma once

#include <itkImage.h>

#include <algorithm>

#include "strokefair/core/volume.hpp"

namespace strokefair {

// An ITK image with the geometry and voxels of `volume` (LPS physical space in both).
template <class T>
typename itk::Image<T, 3>::Pointer to_itk(const Volume<T>& volume) {
  using ItkImage = itk::Image<T, 3>;
  auto image = ItkImage::New();
  typename ItkImage::RegionType region;
  typename ItkImage::SpacingType spacing;
  typename ItkImage::PointType origin;
  typename ItkImage::DirectionType direction;
  const Geometry& g = volume.geometry;
  for (int a = 0; a < 3; ++a) {
    region.SetSize(a, g.size[a]);
    spacing[a] = g.spacing[a];
    origin[a] = g.origin[a];
    for (int b = 0; b < 3; ++b) direction[a][b] = g.direction[a * 3 + b];
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  image->Allocate();
  std::copy(volume.voxels.begin(), volume.voxels.end(), image->GetBufferPointer());
  return image;
}

}  // namespace strokefair
