// Diffusion inputs: 3D or 4D DWI, b-values, ADC unit detection and grid matching.
#include "strokefair/preprocess/diffusion_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/data/data_store.hpp"
#include "strokefair/io/image_io.hpp"

namespace strokefair {
namespace fs = std::filesystem;

std::string to_string(AdcUnit unit) {
  switch (unit) {
    case AdcUnit::mm2_per_s:
      return "mm2/s";
    case AdcUnit::milli_mm2_per_s:
      return "1e-3 mm2/s";
    case AdcUnit::micro_mm2_per_s:
      return "1e-6 mm2/s";
  }
  return "";
}

std::optional<AdcUnit> parse_adc_unit(const std::string& text) {
  if (text == "mm2/s" || text == "mm^2/s") return AdcUnit::mm2_per_s;
  if (text == "1e-3" || text == "1e-3 mm2/s") return AdcUnit::milli_mm2_per_s;
  if (text == "1e-6" || text == "1e-6 mm2/s") return AdcUnit::micro_mm2_per_s;
  return std::nullopt;
}

double to_micro_mm2_per_s(AdcUnit unit) {
  switch (unit) {
    case AdcUnit::mm2_per_s:
      return 1e6;
    case AdcUnit::milli_mm2_per_s:
      return 1e3;
    case AdcUnit::micro_mm2_per_s:
      return 1.0;
  }
  return 1.0;
}

namespace {

double percentile(std::vector<float> values, double q) {
  if (values.empty()) return 0;
  const std::size_t n = static_cast<std::size_t>(q * (values.size() - 1));
  std::nth_element(values.begin(), values.begin() + n, values.end());
  return values[n];
}

// Voxels bright enough on DWI to be tissue rather than air: above half the median of the
// positive voxels, which in a head image sits well above the noise floor.
std::vector<std::size_t> tissue_voxels(const Image& dwi) {
  std::vector<float> positive;
  for (float v : dwi.voxels)
    if (v > 0) positive.push_back(v);
  const double floor = 0.5 * percentile(positive, 0.5);
  std::vector<std::size_t> out;
  for (std::size_t n = 0; n < dwi.size(); ++n)
    if (dwi[n] > floor) out.push_back(n);
  return out;
}

}  // namespace

AdcUnit detect_adc_unit(const Image& adc, const Image& dwi, const std::string& path) {
  std::vector<float> values;
  for (std::size_t n : tissue_voxels(dwi)) {
    if (adc[n] > 0) values.push_back(adc[n]);
  }
  if (values.size() < 100) throw input_error(path, "ADC has almost no positive values in tissue");
  const double median = percentile(values, 0.5);
  // Tissue medians lie between about 0.5 and 2.5 x10^-3 mm²/s; each range below spans a
  // decade either side of that in one unit and cannot be mistaken for another unit.
  if (median > 1e-4 && median < 1e-2) return AdcUnit::mm2_per_s;
  if (median > 0.1 && median < 10) return AdcUnit::milli_mm2_per_s;
  if (median > 100 && median < 10000) return AdcUnit::micro_mm2_per_s;
  std::ostringstream msg;
  msg << "cannot determine the ADC unit (tissue median " << median
      << "); state it with --adc-unit mm2/s|1e-3|1e-6";
  throw input_error(path, msg.str());
}

void require_plausible_stated_unit(const Image& adc, const Image& dwi, AdcUnit unit,
                                   const std::string& path) {
  std::vector<float> values;
  for (std::size_t n : tissue_voxels(dwi)) {
    if (adc[n] > 0) values.push_back(adc[n]);
  }
  if (values.size() < 100) throw input_error(path, "ADC has almost no positive values in tissue");
  // The same decade either side of tissue (500-2500 x10^-6 mm²/s) that detection accepts: a
  // stated unit may settle an unusual map, but not one that is wrong by a factor of 1000.
  const double median = percentile(values, 0.5) * to_micro_mm2_per_s(unit);
  if (median < 50 || median > 25000) {
    std::ostringstream msg;
    msg << "ADC in the stated unit " << to_string(unit) << " gives a tissue median of " << median
        << " x10^-6 mm²/s (normal tissue is 500-2500): check --adc-unit";
    throw input_error(path, msg.str());
  }
}

Image compute_adc(const Image& b0, const Image& dwi, double b_value) {
  Image adc(dwi.geometry);
  for (std::size_t n = 0; n < adc.size(); ++n) {
    if (b0[n] <= 0 || dwi[n] <= 0) continue;
    const double value = std::log(b0[n] / dwi[n]) / b_value * 1e6;
    // Noise gives negative or huge values outside tissue; free water is about 3000. A DWI at
    // or above its b0 is fully restricted diffusion within noise, not missing data: the floor
    // is 1, because 0 marks voxels without signal.
    adc[n] = static_cast<float>(std::clamp(value, 1.0, 5000.0));
  }
  return adc;
}

std::string subject_label_from_path(const fs::path& path) {
  const std::string name = path.filename().string();
  std::smatch match;
  static const std::regex bids_subject("(?:^|_)sub-([A-Za-z0-9]+)");
  if (std::regex_search(name, match, bids_subject)) return match[1];
  // The first word of the name: "Subject01_DWI.nii.gz" and "Subject01 DWI.nii" give
  // "Subject01".
  static const std::string alphanumeric =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return name.substr(0, name.find_first_not_of(alphanumeric));
}

std::string session_label_from_path(const fs::path& path) {
  const std::string name = path.filename().string();
  std::smatch match;
  static const std::regex bids_session("(?:^|_)ses-([A-Za-z0-9]+)");
  return std::regex_search(name, match, bids_session) ? std::string(match[1]) : std::string();
}

namespace {

std::vector<double> read_bval_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path.string(), "b-value file cannot be read");
  std::vector<double> values;
  std::string token;
  while (in >> token) {
    try {
      values.push_back(std::stod(token));
    } catch (const std::exception&) {
      throw input_error(path.string(), "b-value file holds a non-number '" + token + "'");
    }
  }
  if (values.empty()) throw input_error(path.string(), "b-value file is empty");
  return values;
}

std::optional<double> b_value_from_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  nlohmann::json sidecar;
  try {
    sidecar = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw input_error(path.string(), "sidecar is not valid JSON");
  }
  for (const char* key : {"DiffusionBValue", "bval", "BValue", "b_value"}) {
    if (sidecar.contains(key) && sidecar[key].is_number()) return sidecar[key].get<double>();
  }
  return std::nullopt;
}

fs::path sibling_with_extension(const fs::path& image, const std::string& extension) {
  std::string name = image.filename().string();
  for (const char* ext : {".nii.gz", ".nii", ".mha", ".mhd"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      name.erase(name.size() - e.size());
      break;
    }
  }
  return image.parent_path() / (name + extension);
}

void require_usable(Image& image, const std::string& path, std::vector<std::string>& warnings) {
  std::size_t non_finite = 0, non_zero = 0;
  for (float& v : image.voxels) {
    if (!std::isfinite(v)) {
      ++non_finite;
      v = 0;
    } else if (v != 0) {
      ++non_zero;
    }
  }
  if (non_finite == image.size()) throw input_error(path, "every voxel is NaN or infinite");
  // ITK's NIfTI reader already turns NaN into zero, so a NaN-filled file arrives here as zeros.
  if (non_zero == 0) throw input_error(path, "has no signal: every voxel is zero or NaN");
  if (non_finite > 0) {
    warnings.push_back(path + ": " + std::to_string(non_finite) +
                       " NaN or infinite voxels set to zero");
  }
  const auto& s = image.geometry.size;
  if (std::min({s[0], s[1], s[2]}) < 2)
    throw input_error(path, "is a 2D image; a 3D volume is needed");
}

// Brings `image` onto the DWI grid when both cover the same physical box; refuses images
// that lie elsewhere, because resampling them would silently misplace every voxel. A
// resampled image is blurred (small lesions can vanish from an ADC shifted by half a voxel),
// so the user is told.
Image onto_reference_grid(const Image& image, const Geometry& reference, const std::string& path,
                          const std::string& reference_path, std::vector<std::string>& warnings) {
  if (image.geometry.same_grid(reference, 1e-2)) {
    Image copy = image;
    copy.geometry = reference;
    return copy;
  }
  const double tolerance =
      std::max({reference.spacing[0], reference.spacing[1], reference.spacing[2],
                image.geometry.spacing[0], image.geometry.spacing[1], image.geometry.spacing[2]});
  if (!image.geometry.same_extent(reference, tolerance)) {
    throw input_error(path, "lies in a different physical space from the DWI " + reference_path +
                                " (their fields of view do not match)");
  }
  warnings.push_back(path +
                     ": not on the DWI's voxel grid (same field of view); resampled onto it "
                     "by trilinear interpolation, which blurs lesions of a few voxels");
  return resample_linear(image, reference);
}

}  // namespace

DiffusionInputs load_diffusion_inputs(const DiffusionInputOptions& options) {
  DiffusionInputs in;
  const std::string dwi_path = options.dwi.string();

  // A b-value given as a number, or read from a .bval file or JSON sidecar.
  std::optional<double> stated_b;
  std::vector<double> bvals;
  fs::path bval_file;
  if (!options.bval.empty()) {
    char* end = nullptr;
    const double number = std::strtod(options.bval.c_str(), &end);
    if (end && *end == '\0') {
      if (!(number > 0)) throw Error("--bval must be positive", ExitCode::usage);
      stated_b = number;
      in.b_value_source = "--bval";
    } else if (fs::path(options.bval).extension() == ".json") {
      if (!fs::exists(options.bval)) throw input_error(options.bval, "file does not exist");
      stated_b = b_value_from_json(options.bval);
      if (!stated_b) throw input_error(options.bval, "sidecar has no DiffusionBValue");
      in.b_value_source = options.bval;
      bval_file = options.bval;
    } else {
      bvals = read_bval_file(options.bval);
      bval_file = options.bval;
      in.b_value_source = options.bval;
    }
  }

  std::vector<Image> series = read_series(options.dwi);
  in.files.push_back({"dwi", options.dwi, sha256_file(options.dwi)});
  if (!bval_file.empty()) in.files.push_back({"bval", bval_file, sha256_file(bval_file)});

  if (series.size() > 1) {
    if (bvals.empty()) {
      const fs::path sibling = sibling_with_extension(options.dwi, ".bval");
      if (!fs::exists(sibling)) {
        throw input_error(dwi_path, "is a 4D series of " + std::to_string(series.size()) +
                                        " volumes without b-values; give --bval FILE.bval");
      }
      bvals = read_bval_file(sibling);
      in.files.push_back({"bval", sibling, sha256_file(sibling)});
      in.b_value_source = sibling.string();
    }
    if (bvals.size() != series.size()) {
      throw input_error(dwi_path, "has " + std::to_string(series.size()) + " volumes but " +
                                      std::to_string(bvals.size()) + " b-values");
    }
    const double b_max = *std::max_element(bvals.begin(), bvals.end());
    if (b_max < 100) throw input_error(dwi_path, "holds no diffusion-weighted volume (b < 100)");
    // The trace is the geometric mean of the highest shell's directions; b0 the mean of
    // the volumes with b <= 50 (vendors store b0 as 0.001-0.004 s/mm²).
    Image trace(series.front().geometry, 0.f), b0(series.front().geometry, 0.f);
    int n_shell = 0, n_b0 = 0;
    for (std::size_t t = 0; t < series.size(); ++t) {
      if (bvals[t] >= 0.9 * b_max) {
        for (std::size_t n = 0; n < trace.size(); ++n) {
          trace[n] += std::log(std::max(series[t][n], 1e-3f));
        }
        ++n_shell;
      } else if (bvals[t] <= 50) {
        for (std::size_t n = 0; n < b0.size(); ++n) b0[n] += series[t][n];
        ++n_b0;
      }
    }
    for (std::size_t n = 0; n < trace.size(); ++n) {
      trace[n] = series.front()[n] == 0 && n_b0 ? 0.f : std::exp(trace[n] / n_shell);
    }
    in.dwi = std::move(trace);
    in.b_value = b_max;
    if (n_b0 > 0) {
      for (float& v : b0.voxels) v /= n_b0;
      in.b0 = std::move(b0);
    }
  } else {
    in.dwi = std::move(series.front());
    if (!bvals.empty())
      in.b_value = *std::max_element(bvals.begin(), bvals.end());
    else if (stated_b)
      in.b_value = stated_b;
  }
  require_usable(in.dwi, dwi_path, in.warnings);

  if (!options.b0.empty()) {
    Image b0 = read_image(options.b0);
    require_usable(b0, options.b0.string(), in.warnings);
    in.b0 = onto_reference_grid(b0, in.dwi.geometry, options.b0.string(), dwi_path, in.warnings);
    in.files.push_back({"b0", options.b0, sha256_file(options.b0)});
  }

  if (!options.adc.empty()) {
    Image adc = read_image(options.adc);
    require_usable(adc, options.adc.string(), in.warnings);
    adc = onto_reference_grid(adc, in.dwi.geometry, options.adc.string(), dwi_path, in.warnings);
    in.files.push_back({"adc", options.adc, sha256_file(options.adc)});
    AdcUnit unit;
    if (options.adc_unit == "auto") {
      unit = detect_adc_unit(adc, in.dwi, options.adc.string());
      in.adc_unit_source = "detected";
    } else {
      const auto stated = parse_adc_unit(options.adc_unit);
      if (!stated) throw Error("--adc-unit must be auto, mm2/s, 1e-3 or 1e-6", ExitCode::usage);
      unit = *stated;
      in.adc_unit_source = "stated";
      require_plausible_stated_unit(adc, in.dwi, unit, options.adc.string());
    }
    in.adc_unit = to_string(unit);
    const float scale = static_cast<float>(to_micro_mm2_per_s(unit));
    for (float& v : adc.voxels) v = std::max(0.f, v * scale);
    in.adc = std::move(adc);
  } else if (in.b0) {
    if (!in.b_value) {
      if (const auto from_sidecar =
              b_value_from_json(sibling_with_extension(options.dwi, ".json"))) {
        in.b_value = from_sidecar;
        in.b_value_source = sibling_with_extension(options.dwi, ".json").string();
      }
    }
    if (!in.b_value) {
      in.b_value = 1000.0;
      in.b_value_source = "default";
      in.warnings.push_back(
          "no b-value given (--bval, .bval file or JSON sidecar); assuming "
          "b = 1000 s/mm2 to compute ADC");
    }
    in.adc = compute_adc(*in.b0, in.dwi, *in.b_value);
    in.adc_computed = true;
    in.adc_unit = "computed";
    in.adc_unit_source = "computed";
  } else {
    throw input_error(dwi_path,
                      "has neither an ADC map (--adc) nor a b0 (--b0 or b=0 volumes) "
                      "to compute one");
  }
  return in;
}

}  // namespace strokefair
