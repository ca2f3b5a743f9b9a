// Each rule of the lesion segmentation on a synthetic head in template space (the subject's
// physical space is the template's, so template_to_subject is the identity): a brain of
// uniform DWI 100 and ADC 800 with mild noise, and spherical lesions placed by MNI
// coordinates. The real-image tests are in test_segmentation.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "strokefair/core/morphology.hpp"
#include "strokefair/evaluate/segmentation_metrics.hpp"
#include "strokefair/segmentation/lesion_segmentation.hpp"

using namespace strokefair;

namespace {

constexpr double kDwiNormal = 100.0, kAdcNormal = 800.0;

struct Phantom {
  Image dwi, adc;
  Mask brain;
};

// Physical LPS point of voxel (i, j, k); MNI (RAS) is (-x, -y, z).
Vec3 mni_of(const Geometry& g, std::size_t i, std::size_t j, std::size_t k) {
  const Vec3 p = g.voxel_to_physical().apply({double(i), double(j), double(k)});
  return {-p[0], -p[1], p[2]};
}

template <class F>
void for_each_voxel(const Geometry& g, F f) {
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i) f(g.index(i, j, k), mni_of(g, i, j, k));
}

// A 2 mm grid over the MNI box; the brain is an ellipsoid with its floor cut flat at
// z = -24 mm, so that lesions just above the floor lie near the brain's edge, as at the
// skull base.
Phantom make_phantom() {
  Geometry g;
  g.size = {91, 109, 91};
  g.spacing = {2, 2, 2};
  g.origin = {-90, -126, -72};
  Phantom p{Image(g), Image(g), Mask(g)};
  std::mt19937 random(7);
  std::normal_distribution<float> noise(0.f, 3.f);
  for_each_voxel(g, [&](std::size_t n, const Vec3& m) {
    const double e =
        std::pow(m[0] / 68, 2) + std::pow((m[1] + 18) / 88, 2) + std::pow((m[2] - 10) / 70, 2);
    p.brain[n] = e <= 1 && m[2] > -24;
    p.dwi[n] = p.brain[n] ? 100.f + noise(random) : 0.f;
    p.adc[n] = p.brain[n] ? 800.f + 8 * noise(random) : 0.f;
  });
  return p;
}

// A sphere of `radius_mm` at an MNI centre, with DWI multiplied and ADC set.
Mask plant(Phantom& p, const Vec3& centre, double radius_mm, float dwi_gain, float adc) {
  Mask sphere(p.brain.geometry);
  for_each_voxel(p.brain.geometry, [&](std::size_t n, const Vec3& m) {
    const double d2 = std::pow(m[0] - centre[0], 2) + std::pow(m[1] - centre[1], 2) +
                      std::pow(m[2] - centre[2], 2);
    if (d2 > radius_mm * radius_mm || !p.brain[n]) return;
    sphere[n] = 1;
    p.dwi[n] *= dwi_gain;
    p.adc[n] = adc;
  });
  return sphere;
}

Segmentation run(const Phantom& p, const SegmentationParameters& parameters = {}) {
  return segment_lesion(p.dwi, p.adc, p.brain, kDwiNormal, kAdcNormal, Affine::identity(),
                        parameters);
}

double overlap_ml(const Mask& a, const Mask& b) {
  std::size_t n = 0;
  for (std::size_t v = 0; v < a.size(); ++v) n += a[v] && b[v];
  return n * a.geometry.voxel_volume_mm3() / 1000.0;
}

}  // namespace

TEST(LesionRules, HealthyBrainGivesNoLesion) {
  const Phantom p = make_phantom();
  EXPECT_EQ(count_nonzero(run(p).lesion), 0u);
}

TEST(LesionRules, OneSidedInfarctIsFound) {
  Phantom p = make_phantom();
  const Mask truth = plant(p, {30, 0, 20}, 10, 1.8f, 450);  // left lentiform / corona radiata
  const SegmentationAgreement a = compare_masks(run(p).lesion, truth);
  EXPECT_GT(a.dice, 0.9);
  EXPECT_EQ(a.predicted_lesions, 1u);
}

TEST(LesionRules, SymmetricBrightSignalIsNotCalledInfarct) {
  // The same restricted, bright signal on both sides (like normal bright tracts or a
  // symmetric artefact) has no asymmetry: no seed.
  Phantom p = make_phantom();
  plant(p, {30, 0, 20}, 8, 1.8f, 450);
  plant(p, {-30, 0, 20}, 8, 1.8f, 450);
  EXPECT_EQ(count_nonzero(run(p).lesion), 0u);
}

TEST(LesionRules, WeakerEvidenceJoinsOnlyWhenConnectedToASeed) {
  Phantom p = make_phantom();
  // A strong core with a weaker shell (DWI x1.6 with ADC 680: rADC 0.85, too weak for a seed,
  // enough to grow into), and elsewhere a blob with only the weaker evidence.
  const Mask shell = plant(p, {30, -20, 30}, 11, 1.6f, 680);
  const Mask core = plant(p, {30, -20, 30}, 9, 1.8f / 1.6f, 450);
  const Mask weak_alone = plant(p, {-35, 30, 20}, 8, 1.6f, 680);
  const Segmentation s = run(p);
  EXPECT_GT(overlap_ml(s.lesion, shell), 0.9 * volume_ml(shell));
  EXPECT_GT(overlap_ml(s.lesion, core), 0.99 * volume_ml(core));
  EXPECT_EQ(overlap_ml(s.lesion, weak_alone), 0.0);
}

TEST(LesionRules, FacilitatedDiffusionIsNotInfarct) {
  // Bright on DWI but with normal or high ADC: T2 shine-through, not restricted diffusion.
  Phantom p = make_phantom();
  plant(p, {30, 0, 20}, 10, 1.8f, 1000);
  EXPECT_EQ(count_nonzero(run(p).lesion), 0u);
}

TEST(LesionRules, SkullBaseZoneNeedsStrongerEvidenceButSparesTheBrainstem) {
  // Just above the flat brain floor (z = -24), i.e. 4-12 mm inside the brain's edge.
  // Moderate evidence: DWI x1.7, ADC 560 (seed thresholds 1.5 and 620 elsewhere).
  const Vec3 temporal_pole = {40, 10, -16};  // in front of y = -35, below z = -8
  const Vec3 pons = {8, -28, -16};           // paramedian pons: midline box, not the zone
  {
    Phantom p = make_phantom();
    const Mask t = plant(p, temporal_pole, 4, 1.7f, 560);
    const Mask b = plant(p, pons, 4, 1.7f, 560);
    const Segmentation s = run(p);
    EXPECT_EQ(overlap_ml(s.lesion, t), 0.0) << "moderate evidence at the skull base";
    EXPECT_GT(overlap_ml(s.lesion, b), 0.8 * volume_ml(b)) << "pontine infarct";
    // Without the brainstem carve-out the pontine infarct would be held to the zone's rule.
    SegmentationParameters no_carve_out;
    no_carve_out.brainstem_half_width_mm = 0;
    EXPECT_EQ(overlap_ml(run(p, no_carve_out).lesion, b), 0.0);
  }
  {
    // Strong evidence (DWI x2.3, ADC 400) is found in the zone too.
    Phantom p = make_phantom();
    const Mask t = plant(p, temporal_pole, 4, 2.3f, 400);
    EXPECT_GT(overlap_ml(run(p).lesion, t), 0.8 * volume_ml(t));
  }
}

TEST(LesionRules, SmallComponentsAreKeptOnlyAsSatellitesOfALesion) {
  Phantom p = make_phantom();
  const SegmentationParameters defaults;
  const Mask speck = plant(p, {30, 0, 20}, 1.0, 2.0f, 400);  // one 2 mm voxel: 0.008 mL
  // 4 voxels (0.032 mL) each, centred between voxel centres: between the satellite minimum
  // and the lesion minimum.
  const Mask satellite = plant(p, {-31, -41, 30}, 1.5, 2.0f, 400);
  const Mask isolated = plant(p, {-31, 41, 30}, 1.5, 2.0f, 400);
  const Mask main_lesion = plant(p, {-30, -55, 30}, 6, 2.0f, 400);  // 15 mm from the satellite
  ASSERT_LT(volume_ml(speck), defaults.min_satellite_ml);
  ASSERT_GT(volume_ml(satellite), defaults.min_satellite_ml);
  ASSERT_LT(volume_ml(satellite), defaults.min_lesion_ml);
  const Segmentation s = run(p);
  EXPECT_GT(overlap_ml(s.lesion, main_lesion), 0.9 * volume_ml(main_lesion));
  EXPECT_GT(overlap_ml(s.lesion, satellite), 0.0);
  EXPECT_EQ(overlap_ml(s.lesion, isolated), 0.0);
  EXPECT_EQ(overlap_ml(s.lesion, speck), 0.0);
  SegmentationParameters keep_all;
  keep_all.min_lesion_ml = keep_all.min_satellite_ml = 0;
  const Segmentation all = run(p, keep_all);
  EXPECT_GT(overlap_ml(all.lesion, speck), 0.0);  // both were seeds: the size rule removed them
  EXPECT_GT(overlap_ml(all.lesion, isolated), 0.0);
}

TEST(LesionRules, InfarctInADarkCoilRegionIsFound) {
  // Coil sensitivity falling to 60% over the left occiput: there an infarct of DWI x1.8 is
  // only 1.08 times the global normal-tissue mode. The local reference field follows the
  // shading, so the infarct still stands out against its surroundings.
  Phantom p = make_phantom();
  for_each_voxel(p.dwi.geometry, [&](std::size_t n, const Vec3& m) {
    const double t = std::clamp((-m[1] - 30) / 30.0, 0.0, 1.0);
    if (m[0] > 0) p.dwi[n] *= static_cast<float>(1 - 0.4 * t);
  });
  const Mask truth = plant(p, {30, -75, 20}, 8, 1.8f, 450);
  EXPECT_GT(compare_masks(run(p).lesion, truth).dice, 0.8);
  // A reference field as wide as the head is in effect a global reference: infarct missed.
  SegmentationParameters global_reference;
  global_reference.reference_field_sigma_mm = 1000;
  EXPECT_LT(compare_masks(run(p, global_reference).lesion, truth).dice, 0.1);
}
