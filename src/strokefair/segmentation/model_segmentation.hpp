// Lesion segmentation by a user's own TorchScript network, described by a small JSON file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"

namespace strokefair {

// What a network expects and returns. The JSON description (see docs/segmentation.md):
//   {"channels": ["dwi", "adc"], "spacing_mm": [2, 2, 2], "normalisation": "zscore",
//    "output": "probability", "threshold": 0.5}
struct ModelDescription {
  std::vector<std::string> channels;     // each "dwi", "adc" or "b0", in input order
  std::optional<Vec3> spacing_mm;        // the network's voxel size; absent: the DWI grid
  std::string normalisation = "zscore";  // "zscore", "relative" or "none"
  std::string output = "probability";    // "probability" (0-1) or "logit"
  double threshold = 0.5;                // on the probability
};

// Parses and checks a description; Error(bad_input) naming `path` and the problem.
ModelDescription read_model_description(const std::filesystem::path& path);

// The images a network may ask for, on the DWI grid, with the normal-tissue references.
struct ModelInputs {
  const Image* dwi = nullptr;
  const Image* adc = nullptr;  // 10^-6 mm²/s
  const Image* b0 = nullptr;   // may be null
  const Mask* brain = nullptr;
  double dwi_normal = 1;  // normal-parenchyma DWI mode
  double adc_normal = 1;  // normal-parenchyma ADC mode
};

// Runs the network on the CPU and returns its lesion mask on the DWI grid: the probability
// resampled back to the DWI grid, at or above the threshold, inside the brain. Error(bad_input)
// naming the model file for files that are not TorchScript, inputs the network rejects, or
// outputs of the wrong shape; Error(usage) when this build has no libtorch.
Mask segment_with_model(const std::filesystem::path& model, const ModelDescription& description,
                        const ModelInputs& inputs);

// Whether this build can run TorchScript models (it was built with libtorch).
bool torchscript_available();

// The network's forward pass on a float tensor of shape [1, C, Z, Y, X] (x fastest in
// memory). Returns the output's values and its shape. The only place torch is used.
struct TensorData {
  std::vector<float> values;
  std::vector<std::int64_t> shape;
};
TensorData run_torchscript(const std::filesystem::path& model, const TensorData& input);
// Loads the model only, so that a bad file fails before the long stages; same errors.
void check_torchscript(const std::filesystem::path& model);

}  // namespace strokefair
