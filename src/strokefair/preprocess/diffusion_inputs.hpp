// Loading a clinical diffusion exam: DWI trace, b0 and ADC, checked, in one unit, on one grid.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"

namespace strokefair {

// Units in which scanners and tools store ADC maps.
enum class AdcUnit { mm2_per_s, milli_mm2_per_s, micro_mm2_per_s };
std::string to_string(AdcUnit unit);
// Accepts "mm2/s", "1e-3" (10^-3 mm²/s), "1e-6" (10^-6 mm²/s); nullopt for anything else.
std::optional<AdcUnit> parse_adc_unit(const std::string& text);
double to_micro_mm2_per_s(AdcUnit unit);  // multiplier into 10^-6 mm²/s

// Decides the unit from the median ADC of tissue voxels (normal parenchyma is about
// 0.7-0.9 x10^-3 mm²/s, CSF about 3 x10^-3): each unit puts that median in a range
// that does not overlap the others. Throws Error(bad_input) naming `path` when none fits.
AdcUnit detect_adc_unit(const Image& adc, const Image& dwi, const std::string& path);
// Throws Error(bad_input) naming `path` when an ADC read in a unit the user stated has a
// tissue median more than a decade away from normal tissue (a wrong --adc-unit).
void require_plausible_stated_unit(const Image& adc, const Image& dwi, AdcUnit unit,
                                   const std::string& path);

// ADC in 10^-6 mm²/s from b0 and DWI: ADC = ln(S0 / Sb) / b.
Image compute_adc(const Image& b0, const Image& dwi, double b_value);

struct InputFile {
  std::string role;  // "dwi", "b0", "adc", "bval"
  std::filesystem::path path;
  std::string sha256;
};

struct DiffusionInputOptions {
  std::filesystem::path dwi;
  std::filesystem::path b0;   // optional
  std::filesystem::path adc;  // optional
  std::string bval;           // a number, a .bval file or a JSON sidecar; optional
  std::string adc_unit = "auto";
};

struct DiffusionInputs {
  Image dwi;                // b=high trace; its grid is the reference grid
  std::optional<Image> b0;  // on the DWI grid
  Image adc;                // 10^-6 mm²/s, on the DWI grid
  bool adc_computed = false;
  std::string adc_unit;         // unit of the given map, or "computed"
  std::string adc_unit_source;  // "detected", "stated" or "computed"
  std::optional<double> b_value;
  std::string b_value_source;
  std::vector<InputFile> files;
  std::vector<std::string> warnings;  // for the log and the summary
};

DiffusionInputs load_diffusion_inputs(const DiffusionInputOptions& options);

// Subject label: from a BIDS "sub-<label>" in the file name, else the file name's stem,
// keeping letters and digits only.
std::string subject_label_from_path(const std::filesystem::path& path);
// The session label of a BIDS file name (`..._ses-<label>_...`), else empty.
std::string session_label_from_path(const std::filesystem::path& path);

}  // namespace strokefair
