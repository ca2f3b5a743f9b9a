// TorchScript models run on the CPU by libtorch: the only file that includes torch headers
// (they are heavy); without libtorch the build still works and says so when asked to run one.
#include "strokefair/core/error.hpp"
#include "strokefair/segmentation/model_segmentation.hpp"

#ifdef STROKEFAIR_HAVE_TORCH
#include <torch/script.h>
#endif

namespace strokefair {

#ifdef STROKEFAIR_HAVE_TORCH

bool torchscript_available() { return true; }

namespace {

// The first line of a torch error message: the rest is a C++ stack trace.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

torch::jit::Module load(const std::filesystem::path& model) {
  if (!std::filesystem::is_regular_file(model)) {
    throw input_error(model.string(), "model file not found");
  }
  try {
    return torch::jit::load(model.string(), torch::kCPU);
  } catch (const std::exception& e) {
    throw input_error(model.string(), "not a TorchScript model (save it with torch.jit.save): " +
                                          first_line(e.what()));
  }
}

}  // namespace

void check_torchscript(const std::filesystem::path& model) { load(model); }

TensorData run_torchscript(const std::filesystem::path& model, const TensorData& input) {
  torch::jit::Module module = load(model);
  module.eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor tensor =
      torch::from_blob(const_cast<float*>(input.values.data()), input.shape, torch::kFloat32);
  torch::Tensor out;
  try {
    const torch::jit::IValue result = module.forward({tensor});
    if (!result.isTensor()) {
      throw input_error(model.string(), "model output is not a tensor");
    }
    out = result.toTensor().to(torch::kFloat32).contiguous();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw input_error(model.string(), "model failed on the input tensor of " +
                                          std::to_string(input.shape[1]) +
                                          " channel(s): " + first_line(e.what()));
  }
  TensorData data;
  data.shape.assign(out.sizes().begin(), out.sizes().end());
  data.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  return data;
}

#else

bool torchscript_available() { return false; }

void check_torchscript(const std::filesystem::path& model) {
  throw Error(model.string() +
                  ": this strokefair was built without libtorch (Debian libtorch-dev), so "
                  "--model is unavailable",
              ExitCode::usage);
}

TensorData run_torchscript(const std::filesystem::path& model, const TensorData&) {
  check_torchscript(model);
  return {};
}

#endif

}  // namespace strokefair
