// A user's TorchScript network as the segmentation step: inputs prepared as its description
// says, its probability map brought back to the DWI grid and thresholded.
#include "strokefair/segmentation/model_segmentation.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/deid/text.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string one_of(const json& doc, const char* key, const std::string& fallback,
                   const std::vector<std::string>& allowed, const fs::path& path) {
  if (!doc.contains(key)) return fallback;
  const json& value = doc[key];
  if (value.is_string()) {
    for (const std::string& a : allowed) {
      if (value.get<std::string>() == a) return a;
    }
  }
  throw input_error(path.string(), std::string("model description: \"") + key +
                                       "\" must be one of " + joined(allowed));
}

// A grid covering the same physical box as `grid`, with voxels of `spacing`.
Geometry regridded(const Geometry& grid, const Vec3& spacing) {
  Geometry out = grid;
  for (int a = 0; a < 3; ++a) {
    const double extent = grid.size[a] * grid.spacing[a];
    out.size[a] = std::max<std::size_t>(1, std::lround(extent / spacing[a]));
    out.spacing[a] = spacing[a];
    // Keep the box's corner: the first voxel centre moves by half the change of voxel size.
    const double shift = 0.5 * (out.spacing[a] - grid.spacing[a]);
    for (int r = 0; r < 3; ++r) out.origin[r] += grid.direction[3 * r + a] * shift;
  }
  return out;
}

// A channel normalised as the description says; zero outside the brain in every mode.
Image normalised_channel(const Image& image, const Mask& brain, const std::string& mode,
                         double normal) {
  Image out(image.geometry);
  double sum = 0, sum2 = 0, count = 0;
  for (std::size_t n = 0; n < image.size(); ++n) {
    if (!brain[n]) continue;
    sum += image[n];
    sum2 += double(image[n]) * image[n];
    count += 1;
  }
  const double mean = count ? sum / count : 0;
  const double sd = count ? std::sqrt(std::max(0.0, sum2 / count - mean * mean)) : 1;
  for (std::size_t n = 0; n < image.size(); ++n) {
    if (!brain[n]) continue;
    if (mode == "zscore") {
      out[n] = static_cast<float>(sd > 0 ? (image[n] - mean) / sd : 0);
    } else if (mode == "relative") {
      out[n] = static_cast<float>(image[n] / normal);
    } else {
      out[n] = image[n];
    }
  }
  return out;
}

double brain_median(const Image& image, const Mask& brain) {
  std::vector<float> values;
  for (std::size_t n = 0; n < image.size(); ++n) {
    if (brain[n]) values.push_back(image[n]);
  }
  if (values.empty()) return 1;
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2] > 0 ? values[values.size() / 2] : 1;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t d = 0; d < shape.size(); ++d) out += (d ? ", " : "") + std::to_string(shape[d]);
  return out + "]";
}

}  // namespace

ModelDescription read_model_description(const fs::path& path) {
  if (!fs::is_regular_file(path)) {
    throw input_error(path.string(), "model description not found (a JSON file is required)");
  }
  const std::string text = read_text_file(path);
  if (!is_valid_utf8(text)) throw input_error(path.string(), "model description is not UTF-8");
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw input_error(path.string(), "model description is not a JSON object");
  }
  ModelDescription d;
  if (!doc.contains("channels") || !doc["channels"].is_array() || doc["channels"].empty()) {
    throw input_error(path.string(),
                      "model description: \"channels\" must be a list of dwi, adc, b0");
  }
  for (const json& c : doc["channels"]) {
    if (!c.is_string() || (c != "dwi" && c != "adc" && c != "b0")) {
      throw input_error(path.string(), "model description: unknown channel " + c.dump() +
                                           " (allowed: dwi, adc, b0)");
    }
    d.channels.push_back(c.get<std::string>());
  }
  if (doc.contains("spacing_mm")) {
    const json& s = doc["spacing_mm"];
    bool ok = s.is_array() && s.size() == 3;
    for (std::size_t a = 0; ok && a < 3; ++a) {
      ok = s[a].is_number() && s[a].get<double>() > 0.1 && s[a].get<double>() < 20;
    }
    if (!ok) {
      throw input_error(path.string(),
                        "model description: \"spacing_mm\" must be three sizes in mm (0.1-20)");
    }
    d.spacing_mm = Vec3{s[0].get<double>(), s[1].get<double>(), s[2].get<double>()};
  }
  d.normalisation =
      one_of(doc, "normalisation", d.normalisation, {"zscore", "relative", "none"}, path);
  d.output = one_of(doc, "output", d.output, {"probability", "logit"}, path);
  if (doc.contains("threshold")) {
    if (!doc["threshold"].is_number() || doc["threshold"].get<double>() <= 0 ||
        doc["threshold"].get<double>() >= 1) {
      throw input_error(path.string(), "model description: \"threshold\" must lie in (0, 1)");
    }
    d.threshold = doc["threshold"].get<double>();
  }
  return d;
}

Mask segment_with_model(const fs::path& model, const ModelDescription& description,
                        const ModelInputs& in) {
  const Geometry& native = in.dwi->geometry;
  const Geometry grid =
      description.spacing_mm ? regridded(native, *description.spacing_mm) : native;
  const Mask brain = grid.same_grid(native) ? *in.brain : resample_mask(*in.brain, grid);

  TensorData input;
  const std::size_t voxels = grid.voxel_count();
  input.shape = {1, static_cast<std::int64_t>(description.channels.size()),
                 static_cast<std::int64_t>(grid.size[2]), static_cast<std::int64_t>(grid.size[1]),
                 static_cast<std::int64_t>(grid.size[0])};
  input.values.reserve(description.channels.size() * voxels);
  for (const std::string& channel : description.channels) {
    const Image* image = channel == "dwi" ? in.dwi : channel == "adc" ? in.adc : in.b0;
    if (!image) {
      throw input_error(model.string(), "the model needs a b0 image: give --b0");
    }
    const double normal = channel == "dwi"   ? in.dwi_normal
                          : channel == "adc" ? in.adc_normal
                                             : brain_median(*image, *in.brain);
    const Image on_grid = grid.same_grid(native) ? *image : resample_linear(*image, grid);
    const Image values = normalised_channel(on_grid, brain, description.normalisation, normal);
    input.values.insert(input.values.end(), values.voxels.begin(), values.voxels.end());
  }

  const TensorData output = run_torchscript(model, input);
  const std::vector<std::int64_t> expected = {1, 1, input.shape[2], input.shape[3], input.shape[4]};
  if (output.shape != expected || output.values.size() != voxels) {
    throw input_error(model.string(), "model output has shape " + shape_text(output.shape) +
                                          ", expected " + shape_text(expected));
  }
  Image probability(grid);
  for (std::size_t n = 0; n < voxels; ++n) {
    const float v = output.values[n];
    if (!std::isfinite(v)) throw input_error(model.string(), "model output holds NaN or Inf");
    probability[n] = description.output == "logit" ? 1.f / (1.f + std::exp(-v)) : v;
  }
  const Image back = grid.same_grid(native) ? probability : resample_linear(probability, native);
  Mask lesion(native);
  for (std::size_t n = 0; n < lesion.size(); ++n) {
    lesion[n] = (*in.brain)[n] && back[n] >= description.threshold;
  }
  return lesion;
}

}  // namespace strokefair
