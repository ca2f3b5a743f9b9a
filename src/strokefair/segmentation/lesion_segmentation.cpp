// Seeds from strong, asymmetric restricted-diffusion evidence, grown into weaker evidence.
#include "strokefair/segmentation/lesion_segmentation.hpp"

#include <cmath>
#include <vector>

#include "strokefair/core/morphology.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/core/smoothing.hpp"

namespace strokefair {

Affine mirror_in_subject(const Affine& template_to_subject) {
  Affine flip;
  flip.m[0] = -1;  // x -> -x in template space: the symmetric template's midline is x = 0
  return template_to_subject * flip * template_to_subject.inverse();
}

namespace {

Mask grow_from_seeds(const Mask& seeds, const Mask& allowed) {
  // Seeds and allowed voxels together; keep the allowed components that hold a seed.
  Mask candidate(seeds.geometry);
  for (std::size_t n = 0; n < candidate.size(); ++n) candidate[n] = seeds[n] || allowed[n];
  const Components c = connected_components(candidate);
  std::vector<char> seeded(c.sizes.size() + 1, 0);
  for (std::size_t n = 0; n < seeds.size(); ++n) {
    if (seeds[n]) seeded[c.labels[n]] = 1;
  }
  Mask out(seeds.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = seeded[c.labels[n]] && c.labels[n] ? 1 : 0;
  return out;
}

// Keeps the components whose mean ADC is restricted and whose mean relative DWI is bright.
Mask keep_convincing_components(const Mask& lesion, const Image& adc, const Image& relative_dwi,
                                const SegmentationParameters& p) {
  const Components c = connected_components(lesion);
  std::vector<double> adc_sum(c.sizes.size() + 1, 0.0), dwi_sum(c.sizes.size() + 1, 0.0);
  for (std::size_t n = 0; n < lesion.size(); ++n) {
    if (!c.labels[n]) continue;
    adc_sum[c.labels[n]] += adc[n];
    dwi_sum[c.labels[n]] += relative_dwi[n];
  }
  std::vector<char> keep(c.sizes.size() + 1, 0);
  for (std::size_t label = 1; label <= c.sizes.size(); ++label) {
    const double size = static_cast<double>(c.sizes[label - 1]);
    keep[label] = adc_sum[label] / size <= p.component_mean_adc_max &&
                  dwi_sum[label] / size >= p.component_mean_relative_dwi;
  }
  Mask out(lesion.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = keep[c.labels[n]];
  return out;
}

// Components of at least `min_lesion_ml`, and smaller ones down to `min_satellite_ml` that
// lie within `satellite_distance_mm` of such a lesion.
Mask keep_lesions_and_satellites(const Mask& lesion, const SegmentationParameters& p) {
  const Mask lesions = remove_small_components(lesion, p.min_lesion_ml);
  const Mask candidates = remove_small_components(lesion, p.min_satellite_ml);
  // The dilation is the costly part (a 20 mm ball around a large infarct): skip it when
  // there is no component of satellite size.
  if (count_nonzero(candidates) == count_nonzero(lesions)) return lesions;
  const Mask near = dilate(lesions, p.satellite_distance_mm);
  const Components c = connected_components(candidates);
  std::vector<char> keep(c.sizes.size() + 1, 0);
  for (std::size_t n = 0; n < lesion.size(); ++n) {
    if (c.labels[n] && near[n]) keep[c.labels[n]] = 1;
  }
  Mask out(lesion.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = keep[c.labels[n]];
  return out;
}

// Voxels near the brain surface at the skull base and frontal sinuses, in template terms.
Mask artefact_zone(const Mask& brain, const Image& depth, const Affine& template_to_subject,
                   const SegmentationParameters& p) {
  const Affine to_template = template_to_subject.inverse() * brain.geometry.voxel_to_physical();
  Mask zone(brain.geometry);
  const auto& s = brain.geometry.size;
  for (std::size_t k = 0; k < s[2]; ++k)
    for (std::size_t j = 0; j < s[1]; ++j)
      for (std::size_t i = 0; i < s[0]; ++i) {
        const std::size_t n = brain.geometry.index(i, j, k);
        if (!brain[n] || depth[n] > p.artefact_zone_depth_mm) continue;
        const Vec3 lps = to_template.apply({double(i), double(j), double(k)});
        // LPS to the MNI (RAS) convention of the thresholds: y_ras = -y_lps, z unchanged.
        const bool brainstem =
            std::abs(lps[0]) < p.brainstem_half_width_mm && -lps[1] < p.brainstem_max_y_mm;
        zone[n] =
            lps[2] < p.artefact_zone_max_z_mm && -lps[1] > p.artefact_zone_min_y_mm && !brainstem;
      }
  return zone;
}

}  // namespace

Segmentation segment_lesion(const Image& dwi, const Image& adc, const Mask& brain,
                            double dwi_normal, double adc_normal, const Affine& template_to_subject,
                            const SegmentationParameters& p) {
  Segmentation result;
  SegmentationEvidence& e = result.evidence;
  // Normal-appearing tissue for the reference field: brain with parenchymal ADC (neither
  // restricted nor CSF) and unremarkable global DWI.
  Mask normal_tissue(dwi.geometry);
  for (std::size_t n = 0; n < dwi.size(); ++n) {
    const double global = dwi[n] / dwi_normal;
    normal_tissue[n] = brain[n] && adc[n] > 0.75 * adc_normal && adc[n] < 1.6 * adc_normal &&
                       global > 0.5 && global < 1.5;
  }
  e.reference_field = normalised_convolution(dwi, normal_tissue, p.reference_field_sigma_mm);
  e.relative_dwi = Image(dwi.geometry);
  e.relative_adc = Image(adc.geometry);
  for (std::size_t n = 0; n < dwi.size(); ++n) {
    const float field = e.reference_field[n] > 0 ? e.reference_field[n] : float(dwi_normal);
    e.relative_dwi[n] = brain[n] ? dwi[n] / field : 0.f;
    e.relative_adc[n] = brain[n] ? static_cast<float>(adc[n] / adc_normal) : 0.f;
  }
  // Mirror voxel values: resample the relative DWI through the left-right mirror map.
  e.mirrored_dwi =
      resample_linear(e.relative_dwi, dwi.geometry, mirror_in_subject(template_to_subject), 1.f);

  // Where the mirror voxel falls outside the brain there is nothing to compare with: such
  // voxels (brain edges, asymmetric head positions) are never called asymmetric.
  const Mask mirrored_brain =
      resample_mask(brain, dwi.geometry, mirror_in_subject(template_to_subject));

  Mask inverse_brain(brain.geometry);
  for (std::size_t n = 0; n < brain.size(); ++n) inverse_brain[n] = brain[n] ? 0 : 1;
  const Image depth = distance_to_mask(inverse_brain);  // mm from the brain's edge

  const Mask zone = artefact_zone(brain, depth, template_to_subject, p);

  Mask seeds(dwi.geometry), allowed(dwi.geometry);
  for (std::size_t n = 0; n < dwi.size(); ++n) {
    if (!brain[n] || !mirrored_brain[n] || adc[n] <= 0) continue;
    const float rdwi = e.relative_dwi[n], radc = e.relative_adc[n];
    seeds[n] = rdwi >= p.seed_relative_dwi && radc <= p.seed_relative_adc &&
               adc[n] <= p.seed_absolute_adc && rdwi - e.mirrored_dwi[n] >= p.seed_asymmetry &&
               depth[n] >= p.seed_edge_margin_mm &&
               (!zone[n] || (rdwi >= p.artefact_zone_seed_relative_dwi &&
                             adc[n] <= p.artefact_zone_seed_absolute_adc));
    allowed[n] = rdwi >= p.grow_relative_dwi && radc <= p.grow_relative_adc &&
                 rdwi - e.mirrored_dwi[n] >= p.grow_asymmetry;
  }
  result.seed_voxels = count_nonzero(seeds);
  Mask lesion = grow_from_seeds(seeds, allowed);
  const Mask closed = fill_holes(close(lesion, p.closing_radius_mm));
  for (std::size_t n = 0; n < lesion.size(); ++n) {
    lesion[n] = lesion[n] || (closed[n] && brain[n] && adc[n] > 0 &&
                              e.relative_adc[n] <= p.closing_relative_adc_max);
  }
  lesion = keep_lesions_and_satellites(lesion, p);
  result.lesion = keep_convincing_components(lesion, adc, e.relative_dwi, p);
  return result;
}

}  // namespace strokefair
