// Acute infarct segmentation from DWI and ADC evidence relative to normal-appearing tissue.
#pragma once

#include "strokefair/core/volume.hpp"

namespace strokefair {

// Every threshold of the segmentation, with where it comes from. DWI values are relative to
// the normal-parenchyma mode (rDWI), ADC values relative to the normal-parenchyma ADC mode
// (rADC), which makes them independent of scanner scaling and b-value.
struct SegmentationParameters {
  // DWI is compared with the local intensity of normal-appearing tissue, a field smoothed
  // with this Gaussian: coil sensitivity makes whole regions (often the posterior fossa)
  // 20-40% brighter, which a single global reference would call infarct.
  double reference_field_sigma_mm = 15.0;
  // Seeds: clearly restricted diffusion. ADC below 620 x10^-6 mm²/s is the ischaemic-core
  // convention of RAPID and DEFUSE 3; with normal parenchyma at ~780 that is rADC ~0.8.
  double seed_relative_adc = 0.80;
  double seed_absolute_adc = 620.0;  // x10^-6 mm²/s, used together with the relative one
  // Acute infarct on b=1000 trace is typically 1.5-3 times normal parenchyma; 1.5 keeps
  // normal grey matter (~1.1-1.3) and the corticospinal tract (~1.3-1.4) out of the seeds.
  double seed_relative_dwi = 1.5;
  // The seed must also be brighter than the mirrored contralateral voxel by this much:
  // normal bright structures and most artefacts are symmetric, infarcts rarely are.
  double seed_asymmetry = 0.3;
  // Growth from seeds (hysteresis): still DWI-bright, still brighter than the mirror voxel,
  // and not CSF-like or facilitated diffusion.
  double grow_relative_dwi = 1.25;
  // Growth allows ADC up to 1.05 of normal: infarct voxels that border sulcal CSF average a
  // restricted and a free-water ADC. On the tuning shapes 1.05 instead of 0.95 halved the
  // volume missed in lesions over 10 mL (4.2 to 2.1 mL) with no loss of Dice or F1; mirrored
  // false positives went from 0.59 to 0 mL on isles22-raw-mha and from 2.35 to 2.66 mL on
  // ads-subject01. 1.15 grew into CSF (bench/tuning_results.md).
  double grow_relative_adc = 1.05;
  double grow_asymmetry = 0.15;
  // A closing of this radius fills the speckled gaps that noise leaves inside an infarct;
  // closed-in voxels must still have non-CSF ADC (relative ADC below the limit).
  double closing_radius_mm = 2.5;
  double closing_relative_adc_max = 1.1;
  // Seeds closer than this to the edge of the brain mask are not trusted: susceptibility
  // artefacts at the skull base and frontal sinuses, and partial volume with scalp.
  double seed_edge_margin_mm = 3.0;
  // Susceptibility artefacts cluster along the skull base and frontal sinuses: the brain
  // surface below the template's z = -8 mm and in front of y = -35 mm (orbitofrontal cortex
  // and temporal poles). Seeds within `artefact_zone_depth_mm` of the brain edge there need
  // the stronger evidence below; seeds deeper in the same lesion are unaffected.
  double artefact_zone_max_z_mm = -8.0;
  double artefact_zone_min_y_mm = -35.0;
  double artefact_zone_depth_mm = 15.0;
  // The brainstem lies in that box too, but its surface faces the CSF of the basal
  // cisterns, not bone or air, and pontine and midbrain infarcts are common: the midline
  // behind the template's y = -8 mm (pons and midbrain span x = -15..15 mm, y = -40..-10 mm
  // in MNI space) is left out of the zone. The small pontine lesion of ads-subject02 lies
  // there; the zone's rules had held it back.
  double brainstem_half_width_mm = 18.0;
  double brainstem_max_y_mm = -8.0;
  double artefact_zone_seed_relative_dwi = 2.0;
  double artefact_zone_seed_absolute_adc = 500.0;
  // A kept component must be clearly DWI-bright on average, not a rim of borderline voxels.
  double component_mean_relative_dwi = 1.4;
  // A kept component's mean ADC must itself be restricted. Thin-slice partial volume of
  // normal cortex and CSF edges makes scattered DWI-bright voxels with ADC ~650-700; true
  // acute infarcts average well below the 620 core threshold in their bulk.
  double component_mean_adc_max = 620.0;
  // Components smaller than this are dropped as noise: below ~3 voxels of 2x2x5 mm. The
  // smallest lesion among the shared reference cases is 0.22 mL.
  double min_lesion_ml = 0.05;
  // Expert and SOOP masks hold small satellite foci next to the main infarct (emboli shower
  // downstream of one occlusion), and lesion-wise F1 counts each. Smaller components are kept
  // down to `min_satellite_ml` (2-3 voxels of 2x2x2-5 mm) when they lie within
  // `satellite_distance_mm` of a kept lesion, where noise specks are rare by volume. On the
  // tuning shapes a plain 0.02 mL minimum raised median F1 from 0.70 to 0.85 but kept an
  // isolated speck on the mirrored ads-subject02 and one more component on the real one;
  // satellites within 10 / 20 / 40 mm gave F1 0.70 / 0.79 / 0.85, and 40 mm kept the speck
  // again (bench/tuning_results.md).
  double min_satellite_ml = 0.02;
  double satellite_distance_mm = 20.0;
};

struct SegmentationEvidence {
  Image reference_field;  // local DWI of normal-appearing tissue
  Image relative_dwi;     // DWI / reference field
  Image relative_adc;     // ADC / normal mode
  Image mirrored_dwi;     // relative DWI of the contralateral mirror voxel
};

struct Segmentation {
  Mask lesion;
  SegmentationEvidence evidence;
  std::size_t seed_voxels = 0;
};

// `template_to_subject` is the registration (template physical -> subject physical); the
// mirror voxel is found by flipping left-right about the template's midline (x = 0).
Segmentation segment_lesion(const Image& dwi, const Image& adc, const Mask& brain,
                            double dwi_normal, double adc_normal, const Affine& template_to_subject,
                            const SegmentationParameters& parameters = {});

// The map from subject physical space to its left-right mirror image in subject space.
Affine mirror_in_subject(const Affine& template_to_subject);

}  // namespace strokefair
