// Defacing: register the head template, map its face mask onto the image, clear, verify.
#include "strokefair/deface/deface.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/core/morphology.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/core/smoothing.hpp"
#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/registration/affine_registration.hpp"

namespace strokefair {

namespace {

// The head template's spacing: registration runs on images downsampled to it.
constexpr double kRegistrationSpacingMm = 3.0;

// The 3 mm grid over the image's box, centred on the image's centre: flipping or permuting the
// stored axes then gives the same physical sample points, and so the same registration.
Geometry centred_registration_grid(const Geometry& grid) {
  Geometry coarse = coarsened_grid(grid, kRegistrationSpacingMm);
  auto centre_of = [](const Geometry& g) {
    return g.voxel_to_physical().apply(
        {(g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0});
  };
  const Vec3 wanted = centre_of(grid), now = centre_of(coarse);
  for (int a = 0; a < 3; ++a) coarse.origin[a] += wanted[a] - now[a];
  return coarse;
}

// A solid head: voxels above a tenth of the bright tissue (99th percentile), with the dark
// skull and sinuses closed and filled, largest piece only. Used for the template and the
// subject alike, so that their overlap measures the alignment and not the contrast.
Mask head_mask_of(const Image& image) {
  std::vector<float> values;
  values.reserve(image.size());
  for (float v : image.voxels)
    if (v > 0) values.push_back(v);
  Mask head(image.geometry);
  if (values.empty()) return head;
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(0.99 * (values.size() - 1));
  std::nth_element(values.begin(), at, values.end());
  const float threshold = 0.1f * *at;
  for (std::size_t n = 0; n < image.size(); ++n) head[n] = image[n] > threshold;
  return fill_holes(largest_component(close(head, 9.0)));
}

std::size_t count_non_finite(const Image& image) {
  return static_cast<std::size_t>(std::count_if(image.voxels.begin(), image.voxels.end(),
                                                [](float v) { return !std::isfinite(v); }));
}

// Fraction of the template brain that lands inside the image grid.
double brain_in_view(const HeadTemplate& head_template, const Geometry& image_grid,
                     const Affine& template_to_image) {
  const Geometry& g = head_template.brain.geometry;
  const Affine to_index =
      image_grid.physical_to_voxel() * template_to_image * g.voxel_to_physical();
  const auto& s = image_grid.size;
  std::size_t inside = 0, total = 0;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        if (!head_template.brain.at(i, j, k)) continue;
        ++total;
        const Vec3 p = to_index.apply({double(i), double(j), double(k)});
        inside += p[0] >= -0.5 && p[1] >= -0.5 && p[2] >= -0.5 && p[0] <= s[0] - 0.5 &&
                  p[1] <= s[1] - 0.5 && p[2] <= s[2] - 0.5;
      }
  return total ? double(inside) / double(total) : 0.0;
}

// The head-mask overlap and the scale plausibility of the shared template alignment check.
AlignmentCheck check_head_alignment(const HeadTemplate& head_template, const Image& subject,
                                    const Affine& template_to_image) {
  Template target;
  target.brain_coarse = head_template.head_mask;
  AlignmentCheck check = check_alignment(target, head_mask_of(subject), template_to_image);
  if (check.brain_dice < kMinimumHeadDice) {
    std::ostringstream why;
    why << "head overlap with the template after registration is " << check.brain_dice << " (needs "
        << kMinimumHeadDice << "): not a head, or registration failed";
    check.failure = why.str();
  }
  check.passed = check.failure.empty();
  return check;
}

// The grid that a NIfTI-1 file's sform states, in strokefair's LPS convention.
Geometry sform_grid(const std::filesystem::path& path, const Geometry& read) {
  const std::vector<char> bytes = read_nifti_bytes(path);
  std::int16_t sform_code = 0;
  float srow[12] = {};
  std::memcpy(&sform_code, bytes.data() + 254, 2);
  std::memcpy(srow, bytes.data() + 280, sizeof srow);
  if (sform_code <= 0) throw Error(path.string() + ": has no sform", ExitCode::missing_asset);
  Geometry g = read;
  const double ras_to_lps[3] = {-1, -1, 1};
  for (int c = 0; c < 3; ++c) {
    const double length = std::hypot(std::hypot(srow[c], srow[4 + c]), srow[8 + c]);
    g.spacing[c] = length;
    for (int r = 0; r < 3; ++r) g.direction[r * 3 + c] = ras_to_lps[r] * srow[r * 4 + c] / length;
  }
  for (int r = 0; r < 3; ++r) g.origin[r] = ras_to_lps[r] * srow[r * 4 + 3];
  return g;
}

Mask template_mask(const std::filesystem::path& path, const Geometry& head_grid, bool inverted) {
  const Mask read = read_mask(path);
  if (read.geometry.size != head_grid.size)
    throw Error(path.string() + ": not on the head template's grid", ExitCode::missing_asset);
  // The voxels correspond one to one; the header is ignored because mridefacer's face mask
  // stores a different orientation (x and z flipped, origin 0) from its templates, and FSL,
  // which mridefacer runs, pairs them voxel by voxel.
  Mask mask(head_grid);
  for (std::size_t n = 0; n < mask.size(); ++n) mask[n] = inverted ? !read[n] : read[n];
  return mask;
}

}  // namespace

HeadTemplate load_head_template(const DataStore& store) {
  HeadTemplate t;
  const std::filesystem::path head_path = store.locate("deface_head_template");
  t.head = read_image(head_path);
  // The template's qform (identity rotation, qfac -1) turns the head upside down and disagrees
  // with its sform; FSL, which mridefacer runs, uses the sform, and so does strokefair.
  t.head.geometry = sform_grid(head_path, t.head.geometry);
  const Geometry& grid = t.head.geometry;
  t.brain = template_mask(store.locate("deface_head_brain"), grid, false);
  t.metric_region = template_mask(store.locate("deface_head_weights"), grid, false);
  // mridefacer's mask keeps the head (1) and marks face, teeth and ears with 0.
  t.face = template_mask(store.locate("deface_face_mask"), grid, true);
  t.head_mask = head_mask_of(t.head);
  return t;
}

std::string head_coverage_problem(const Geometry& grid) {
  std::ostringstream why;
  for (int a = 0; a < 3; ++a) {
    const double extent = grid.size[a] * grid.spacing[a];
    if (grid.size[a] < 2 || extent < kMinimumHeadExtentMm) {
      why << "axis " << a + 1 << " covers " << extent << " mm (" << grid.size[a]
          << " voxels), a whole head needs at least " << kMinimumHeadExtentMm << " mm";
      return why.str();
    }
  }
  return {};
}

DefaceResult find_face(const HeadTemplate& head_template, const Image& image,
                       const std::string& name) {
  if (const std::size_t bad = count_non_finite(image))
    throw input_error(name, "has " + std::to_string(bad) + " NaN or infinite voxels");
  // ITK's NIfTI reader turns NaN into zero: a NaN-filled file arrives as zeros.
  if (std::none_of(image.voxels.begin(), image.voxels.end(), [](float v) { return v != 0; }))
    throw input_error(name, "has no signal: every voxel is zero or NaN");
  if (const std::string problem = head_coverage_problem(image.geometry); !problem.empty())
    throw input_error(name, "not a whole-head 3D image: " + problem);

  // Smoothing to the template's resolution before downsampling avoids aliasing.
  const Geometry coarse = centred_registration_grid(image.geometry);
  const Image subject =
      resample_linear(gaussian_smooth(image, kRegistrationSpacingMm / 2.355), coarse);

  DefaceResult result;
  try {
    result.template_to_image =
        register_affine(head_template.head, head_template.metric_region, subject)
            .template_to_subject;
  } catch (const Error& e) {
    throw e.with_context(name);
  }
  result.verification.registration =
      check_head_alignment(head_template, subject, result.template_to_image);

  result.verification.brain_in_view =
      brain_in_view(head_template, image.geometry, result.template_to_image);
  if (result.verification.brain_in_view < kMinimumBrainInView) {
    result.full_head = false;
    std::ostringstream why;
    why << "only " << std::lround(100 * result.verification.brain_in_view)
        << "% of the template brain lies inside the image (needs "
        << std::lround(100 * kMinimumBrainInView) << "%)";
    result.coverage_problem = why.str();
  }

  const Affine image_to_template = result.template_to_image.inverse();
  result.face = resample_mask(head_template.face, image.geometry, image_to_template);
  result.brain = resample_mask(head_template.brain, image.geometry, image_to_template);
  return result;
}

Image clear_face(const Image& image, const Mask& face) {
  Image defaced = image;
  for (std::size_t n = 0; n < defaced.size(); ++n)
    if (face[n]) defaced[n] = 0.f;
  return defaced;
}

void verify_defacing(const Image& original, const Image& defaced, DefaceResult& result) {
  DefaceVerification& v = result.verification;
  if (!defaced.geometry.same_grid(original.geometry) || defaced.size() != result.face.size())
    throw Error("defaced image is not on the grid of the original", ExitCode::internal);
  v.brain_voxels = v.brain_voxels_changed = v.face_voxels = v.face_voxels_left = 0;
  for (std::size_t n = 0; n < original.size(); ++n) {
    if (result.brain[n]) {
      ++v.brain_voxels;
      v.brain_voxels_changed += defaced[n] != original[n];
    }
    if (result.face[n]) {
      ++v.face_voxels;
      v.face_voxels_left += defaced[n] != 0.f;
    }
  }

  std::ostringstream why;
  if (!v.registration.passed)
    why << "registration check failed: " << v.registration.failure;
  else if (!result.full_head)
    why << "not a whole head: " << result.coverage_problem;
  else if (v.face_voxels == 0)
    why << "the face mask does not reach the image";
  else if (v.brain_voxels_changed > 0)
    why << v.brain_voxels_changed << " voxel(s) inside the brain mask changed";
  else if (v.face_voxels_left > 0)
    why << v.face_voxels_left << " face voxel(s) are not empty after defacing";
  v.failure = why.str();
  v.passed = v.failure.empty();
}

std::vector<char> clear_nifti_voxels(std::vector<char> bytes, const Mask& face,
                                     const std::string& name) {
  std::int32_t header_size = 0;
  if (bytes.size() >= 352) std::memcpy(&header_size, bytes.data(), 4);
  if (header_size != 348 || std::memcmp(bytes.data() + 344, "n+1", 4) != 0)
    throw input_error(name, "is not a little-endian single-file NIfTI-1 image");
  std::int16_t dim[8] = {};
  std::int16_t bitpix = 0;
  float vox_offset = 0;
  std::memcpy(dim, bytes.data() + 40, sizeof dim);
  std::memcpy(&bitpix, bytes.data() + 72, 2);
  std::memcpy(&vox_offset, bytes.data() + 108, 4);
  const auto& s = face.geometry.size;
  bool same_grid = dim[0] >= 3 && std::size_t(dim[1]) == s[0] && std::size_t(dim[2]) == s[1] &&
                   std::size_t(dim[3]) == s[2];
  for (int d = 4; d <= std::min<int>(dim[0], 7); ++d) same_grid = same_grid && dim[d] <= 1;
  const std::size_t voxel_bytes = static_cast<std::size_t>(std::max<std::int16_t>(bitpix, 0)) / 8;
  const auto first = static_cast<std::size_t>(vox_offset);
  if (!same_grid || voxel_bytes == 0 || first < 352 ||
      first + face.size() * voxel_bytes > bytes.size())
    throw input_error(name, "NIfTI voxel data do not match the face mask's grid");
  for (std::size_t n = 0; n < face.size(); ++n)
    if (face[n]) std::memset(bytes.data() + first + n * voxel_bytes, 0, voxel_bytes);
  return bytes;
}

nlohmann::json clean_recognizable_visual_features_code() {
  return {{"CodeValue", "113102"},
          {"CodingSchemeDesignator", "DCM"},
          {"CodeMeaning", "Clean Recognizable Visual Features Option"}};
}

nlohmann::json defacing_record(const DefaceVerification& v) {
  return {
      {"Method",
       "strokefair deface: affine registration (ITK, Mattes mutual information) of the "
       "mridefacer head template to the image at 3 mm; the mridefacer face, teeth and ears mask "
       "mapped onto the image grid and its voxels set to zero"},
      {"Verified", v.passed},
      {"BrainVoxels", v.brain_voxels},
      {"BrainVoxelsChanged", v.brain_voxels_changed},
      {"FaceVoxelsCleared", v.face_voxels},
      {"FaceVoxelsLeft", v.face_voxels_left},
      {"HeadDice", v.registration.brain_dice},
      {"TemplateBrainInView", v.brain_in_view},
      {"RegistrationPassed", v.registration.passed},
  };
}

void require_verified(const DefaceResult& result, const std::string& name) {
  if (!result.verification.passed)
    throw Error(name + ": defacing refused: " + result.verification.failure, ExitCode::processing);
}

}  // namespace strokefair
