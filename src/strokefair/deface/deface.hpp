// Defacing of 3D head images: a face-and-ears mask mapped from a head template, then verified.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"
#include "strokefair/data/data_store.hpp"
#include "strokefair/registration/template_space.hpp"

namespace strokefair {

// mridefacer's head template (T1 with skull, 3 mm), its brain, its registration weights and its
// face, teeth and ears mask, all on the head template's grid.
struct HeadTemplate {
  Image head;
  Mask head_mask;      // where the template has head signal: the alignment check
  Mask metric_region;  // mridefacer's registration weights > 0: skull and brain, no face
  Mask brain;
  Mask face;  // voxels to clear
};

// Throws Error(missing_asset) when an asset is absent or the files disagree in size.
HeadTemplate load_head_template(const DataStore& store);

// Minimum extent of the image along each axis for full head coverage: an adult head is about
// 140 mm wide, 180 mm long and 200 mm high; slabs and cropped volumes fall well below.
constexpr double kMinimumHeadExtentMm = 110;
// Fraction of the template brain that must fall inside the image's field of view.
constexpr double kMinimumBrainInView = 0.95;
// Minimum head-mask Dice against the template after registration. The two real heads reach
// 0.876-0.972 (bench/deface_results.md); a skull-stripped brain reaches 0.68-0.70 and a
// non-head object 0.55-0.57.
constexpr double kMinimumHeadDice = 0.80;

// Why the grid cannot hold a whole head (empty when it can): 2D, slab, cropped.
std::string head_coverage_problem(const Geometry& grid);

struct DefaceVerification {
  std::size_t brain_voxels = 0;          // template brain mapped onto the image
  std::size_t brain_voxels_changed = 0;  // must be 0
  std::size_t face_voxels = 0;           // face mask mapped onto the image
  std::size_t face_voxels_left = 0;      // face voxels not zero after defacing; must be 0
  double brain_in_view = 0;              // fraction of the template brain inside the image
  AlignmentCheck registration;           // brain_dice holds the head Dice here
  bool passed = false;
  std::string failure;  // why not, in words (no identifiers)
};

struct DefaceResult {
  Mask face;   // on the image grid: the voxels cleared
  Mask brain;  // on the image grid: the voxels that must not change
  Affine template_to_image;
  DefaceVerification verification;  // of the registration; counts filled by verify_defacing
  bool full_head = true;            // false: the template brain is not inside the image
  std::string coverage_problem;
};

// Registers the head template to `image` (downsampled to the template's 3 mm) and maps the
// face and brain masks onto the image grid. Throws Error(bad_input) for NaN or infinite voxels
// and grids that cannot hold a head, Error(processing) when the registration itself fails.
DefaceResult find_face(const HeadTemplate& head_template, const Image& image,
                       const std::string& name);

// Sets every face voxel to zero.
Image clear_face(const Image& image, const Mask& face);

// Compares the defaced image with the original: brain voxels unchanged, face voxels zero,
// registration passed. Fills `result.verification`.
void verify_defacing(const Image& original, const Image& defaced, DefaceResult& result);

// Sets the stored values of the face voxels of a NIfTI-1 file's bytes to zero, keeping its
// header and data type. The mask must be on the file's grid (same voxel counts per axis).
std::vector<char> clear_nifti_voxels(std::vector<char> bytes, const Mask& face,
                                     const std::string& name);

// The sidecar fields that record the defacing: method, verification and the PS3.15 code.
nlohmann::json defacing_record(const DefaceVerification& verification);

// DICOM PS3.15 Annex E code of the defacing (113102), as a code sequence item.
nlohmann::json clean_recognizable_visual_features_code();

// Throws Error(processing) naming `name` and the failed check when verification did not pass.
void require_verified(const DefaceResult& result, const std::string& name);

}  // namespace strokefair
