// Morphology via ITK's exact Euclidean distance transform; components by flood fill.
#include "strokefair/core/morphology.hpp"

#include <itkImage.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include <deque>

namespace strokefair {

Image distance_to_mask(const Mask& mask) {
  using Input = itk::Image<std::uint8_t, 3>;
  using Output = itk::Image<float, 3>;
  auto image = Input::New();
  Input::RegionType region;
  Input::SpacingType spacing;
  for (int a = 0; a < 3; ++a) {
    region.SetSize(a, mask.geometry.size[a]);
    spacing[a] = mask.geometry.spacing[a];
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);  // distances are in mm; orientation does not matter here
  image->Allocate();
  std::copy(mask.voxels.begin(), mask.voxels.end(), image->GetBufferPointer());

  auto filter = itk::SignedMaurerDistanceMapImageFilter<Input, Output>::New();
  filter->SetInput(image);
  filter->SetUseImageSpacing(true);
  filter->SetSquaredDistance(false);
  filter->SetInsideIsPositive(false);
  filter->SetBackgroundValue(0);
  filter->SetNumberOfWorkUnits(1);
  filter->Update();

  Image out(mask.geometry);
  const float* d = filter->GetOutput()->GetBufferPointer();
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = d[n] > 0 ? d[n] : 0.f;
  return out;
}

namespace {

// Signed distance: positive outside the mask, negative inside.
Image signed_distance(const Mask& mask) {
  Mask inverse(mask.geometry);
  for (std::size_t n = 0; n < mask.size(); ++n) inverse[n] = mask[n] ? 0 : 1;
  const Image outside = distance_to_mask(mask);
  const Image inside = distance_to_mask(inverse);
  Image out(mask.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = outside[n] - inside[n];
  return out;
}

}  // namespace

Mask dilate(const Mask& mask, double radius_mm) {
  const Image d = distance_to_mask(mask);
  Mask out(mask.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = d[n] <= radius_mm ? 1 : 0;
  return out;
}

Mask erode(const Mask& mask, double radius_mm) {
  const Image d = signed_distance(mask);
  Mask out(mask.geometry);
  // A voxel stays when the nearest background voxel is farther than the radius.
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = (mask[n] && -d[n] > radius_mm) ? 1 : 0;
  return out;
}

Mask open(const Mask& mask, double radius_mm) { return dilate(erode(mask, radius_mm), radius_mm); }
Mask close(const Mask& mask, double radius_mm) { return erode(dilate(mask, radius_mm), radius_mm); }

Components connected_components(const Mask& mask) {
  const Geometry& g = mask.geometry;
  Components result{LabelImage(g), {}};
  const long nx = g.size[0], ny = g.size[1], nz = g.size[2];
  std::vector<std::size_t> queue;
  std::int32_t next = 0;
  for (std::size_t start = 0; start < mask.size(); ++start) {
    if (!mask[start] || result.labels[start]) continue;
    ++next;
    queue.assign(1, start);
    result.labels[start] = next;
    std::size_t count = 0;
    while (!queue.empty()) {
      const std::size_t n = queue.back();
      queue.pop_back();
      ++count;
      const long i = n % nx, j = (n / nx) % ny, k = n / (nx * ny);
      for (long dk = -1; dk <= 1; ++dk) {
        for (long dj = -1; dj <= 1; ++dj) {
          for (long di = -1; di <= 1; ++di) {
            const long a = i + di, b = j + dj, c = k + dk;
            if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
            const std::size_t m = static_cast<std::size_t>(a + nx * (b + ny * c));
            if (mask[m] && !result.labels[m]) {
              result.labels[m] = next;
              queue.push_back(m);
            }
          }
        }
      }
    }
    result.sizes.push_back(count);
  }
  return result;
}

Mask largest_component(const Mask& mask) {
  const Components c = connected_components(mask);
  Mask out(mask.geometry);
  if (c.sizes.empty()) return out;
  const auto largest = std::max_element(c.sizes.begin(), c.sizes.end()) - c.sizes.begin() + 1;
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = c.labels[n] == largest ? 1 : 0;
  return out;
}

Mask fill_holes(const Mask& mask) {
  const Geometry& g = mask.geometry;
  const long nx = g.size[0], ny = g.size[1], nz = g.size[2];
  Mask outside(g);
  std::deque<std::size_t> queue;
  auto seed = [&](long i, long j, long k) {
    const std::size_t n = g.index(i, j, k);
    if (!mask[n] && !outside[n]) {
      outside[n] = 1;
      queue.push_back(n);
    }
  };
  for (long k = 0; k < nz; ++k)
    for (long j = 0; j < ny; ++j)
      for (long i = 0; i < nx; ++i)
        if (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1) seed(i, j, k);
  while (!queue.empty()) {
    const std::size_t n = queue.front();
    queue.pop_front();
    const long i = n % nx, j = (n / nx) % ny, k = n / (nx * ny);
    if (i > 0) seed(i - 1, j, k);
    if (i < nx - 1) seed(i + 1, j, k);
    if (j > 0) seed(i, j - 1, k);
    if (j < ny - 1) seed(i, j + 1, k);
    if (k > 0) seed(i, j, k - 1);
    if (k < nz - 1) seed(i, j, k + 1);
  }
  Mask out(g);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = outside[n] ? 0 : 1;
  return out;
}

Mask remove_small_components(const Mask& mask, double min_ml) {
  const Components c = connected_components(mask);
  const double voxel_ml = mask.geometry.voxel_volume_mm3() / 1000.0;
  Mask out(mask.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) {
    const auto label = c.labels[n];
    out[n] = (label && c.sizes[label - 1] * voxel_ml >= min_ml) ? 1 : 0;
  }
  return out;
}

}  // namespace strokefair
