// ITK registration: a rigid stage then an affine stage, each multi-resolution.
#include "strokefair/registration/affine_registration.hpp"

#include <itkAffineTransform.h>
#include <itkImage.h>
#include <itkImageMaskSpatialObject.h>
#include <itkImageRegistrationMethodv4.h>
#include <itkMattesMutualInformationImageToImageMetricv4.h>
#include <itkMultiThreaderBase.h>
#include <itkRegistrationParameterScalesFromPhysicalShift.h>
#include <itkRegularStepGradientDescentOptimizerv4.h>
#include <itkTransformFactory.h>
#include <itkTransformFileReader.h>
#include <itkTransformFileWriter.h>
#include <itkTxtTransformIOFactory.h>
#include <itkVersorRigid3DTransform.h>

#include <mutex>

#include "strokefair/core/error.hpp"
#include "strokefair/io/itk_image.hpp"

namespace strokefair {

namespace {

using ItkImage = itk::Image<float, 3>;
using ItkMask = itk::Image<unsigned char, 3>;

Vec3 centre_of_mass(const Image& image) {
  const Affine to_physical = image.geometry.voxel_to_physical();
  const auto& s = image.geometry.size;
  double total = 0;
  Vec3 sum{0, 0, 0};
  for (std::size_t k = 0; k < s[2]; ++k)
    for (std::size_t j = 0; j < s[1]; ++j)
      for (std::size_t i = 0; i < s[0]; ++i) {
        const double w = std::max(0.f, image.at(i, j, k));
        if (w <= 0) continue;
        const Vec3 p = to_physical.apply({double(i), double(j), double(k)});
        for (int a = 0; a < 3; ++a) sum[a] += w * p[a];
        total += w;
      }
  if (total <= 0) throw Error("image to register is empty", ExitCode::processing);
  return {sum[0] / total, sum[1] / total, sum[2] / total};
}

template <class Transform>
double run_stage(ItkImage* fixed, ItkImage* moving, itk::ImageMaskSpatialObject<3>* fixed_mask,
                 Transform* transform, const RegistrationSettings& settings, int iterations,
                 double learning_rate) {
  using Metric = itk::MattesMutualInformationImageToImageMetricv4<ItkImage, ItkImage>;
  using Optimizer = itk::RegularStepGradientDescentOptimizerv4<double>;
  using Method = itk::ImageRegistrationMethodv4<ItkImage, ItkImage, Transform>;

  auto metric = Metric::New();
  metric->SetNumberOfHistogramBins(settings.histogram_bins);
  metric->SetFixedImageMask(fixed_mask);

  auto scales = itk::RegistrationParameterScalesFromPhysicalShift<Metric>::New();
  scales->SetMetric(metric);

  auto optimizer = Optimizer::New();
  optimizer->SetLearningRate(learning_rate);
  optimizer->SetMinimumStepLength(0.001);
  optimizer->SetRelaxationFactor(0.6);
  optimizer->SetNumberOfIterations(iterations);
  optimizer->SetScalesEstimator(scales);
  optimizer->SetDoEstimateLearningRateOnce(true);

  auto method = Method::New();
  method->SetFixedImage(fixed);
  method->SetMovingImage(moving);
  method->SetMetric(metric);
  method->SetOptimizer(optimizer);
  method->SetInitialTransform(transform);
  method->InPlaceOn();
  method->SetNumberOfWorkUnits(1);

  // Three levels: 4x, 2x and 1x the template grid, smoothed in mm.
  typename Method::ShrinkFactorsArrayType shrink(3);
  shrink[0] = 4;
  shrink[1] = 2;
  shrink[2] = 1;
  typename Method::SmoothingSigmasArrayType sigmas(3);
  sigmas[0] = 4;
  sigmas[1] = 2;
  sigmas[2] = 1;
  method->SetNumberOfLevels(3);
  method->SetShrinkFactorsPerLevel(shrink);
  method->SetSmoothingSigmasPerLevel(sigmas);
  method->SetSmoothingSigmasAreSpecifiedInPhysicalUnits(true);
  method->SetMetricSamplingStrategy(Method::MetricSamplingStrategyEnum::REGULAR);
  method->SetMetricSamplingPercentage(settings.sampling_fraction);
  method->MetricSamplingReinitializeSeed(7);  // deterministic results run to run
  try {
    method->Update();
  } catch (const itk::ExceptionObject& e) {
    // ITK's description spans lines and names object addresses; its usual cause here is an
    // image whose intensities never overlap the template's (noise, a non-brain image).
    std::string reason = e.GetDescription();
    reason = reason.substr(0, reason.find('\n'));
    if (reason.find("outside") != std::string::npos) {
      reason = "the image and the template never overlapped during the optimisation";
    }
    throw Error("registration to the template failed: " + reason, ExitCode::processing);
  }
  return optimizer->GetValue();
}

Affine to_affine(const itk::AffineTransform<double, 3>* t) {
  Affine a;
  const auto m = t->GetMatrix();
  const auto o = t->GetOffset();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) a.m[r * 4 + c] = m[r][c];
    a.m[r * 4 + 3] = o[r];
  }
  return a;
}

}  // namespace

RegistrationResult register_affine(const Image& template_image, const Mask& template_mask,
                                   const Image& subject_image,
                                   const RegistrationSettings& settings) {
  // Filters that ITK's registration creates inside itself take the global thread count, and
  // with more than one thread the transform depended on what the process had run before
  // (same images, entries differing by 1e-4, lesion volumes by up to 4 mL). ITK does nothing
  // else heavy in this program, so it runs on one thread throughout.
  static std::once_flag single_threaded;
  std::call_once(single_threaded,
                 [] { itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(1); });
  auto fixed = to_itk(template_image);
  auto moving = to_itk(subject_image);
  auto mask_object = itk::ImageMaskSpatialObject<3>::New();
  mask_object->SetImage(to_itk(template_mask));
  mask_object->Update();

  const Vec3 fixed_centre = centre_of_mass(template_image);
  const Vec3 moving_centre = centre_of_mass(subject_image);

  using Rigid = itk::VersorRigid3DTransform<double>;
  auto rigid = Rigid::New();
  Rigid::CenterType centre;
  Rigid::TranslationType shift;
  for (int a = 0; a < 3; ++a) {
    centre[a] = fixed_centre[a];
    shift[a] = moving_centre[a] - fixed_centre[a];
  }
  rigid->SetCenter(centre);
  rigid->SetTranslation(shift);

  RegistrationResult result;
  result.rigid_metric = run_stage(fixed.GetPointer(), moving.GetPointer(), mask_object.GetPointer(),
                                  rigid.GetPointer(), settings, settings.rigid_iterations, 2.0);

  using AffineT = itk::AffineTransform<double, 3>;
  auto affine = AffineT::New();
  affine->SetCenter(rigid->GetCenter());
  affine->SetMatrix(rigid->GetMatrix());
  affine->SetTranslation(rigid->GetTranslation());
  result.affine_metric =
      run_stage(fixed.GetPointer(), moving.GetPointer(), mask_object.GetPointer(),
                affine.GetPointer(), settings, settings.affine_iterations, 1.0);
  result.template_to_subject = to_affine(affine.GetPointer());
  return result;
}

namespace {

void register_transform_io() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::TransformFactoryBase::RegisterDefaultTransforms();
    itk::TxtTransformIOFactory::RegisterOneFactory();
  });
}

}  // namespace

void write_itk_transform(const Affine& template_to_subject, const std::filesystem::path& path) {
  register_transform_io();
  auto transform = itk::AffineTransform<double, 3>::New();
  itk::AffineTransform<double, 3>::MatrixType matrix;
  itk::AffineTransform<double, 3>::OutputVectorType translation;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) matrix[r][c] = template_to_subject.m[r * 4 + c];
    translation[r] = template_to_subject.m[r * 4 + 3];
  }
  transform->SetMatrix(matrix);
  transform->SetTranslation(translation);  // centre stays at the origin: offset = translation
  auto writer = itk::TransformFileWriterTemplate<double>::New();
  writer->SetInput(transform);
  writer->SetFileName(path.string());
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error(path.string() + ": transform could not be written: " + e.GetDescription(),
                ExitCode::output_failed);
  }
}

Affine read_itk_transform(const std::filesystem::path& path) {
  register_transform_io();
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(path.string());
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw input_error(path.string(),
                      std::string("not a readable ITK transform: ") + e.GetDescription());
  }
  const auto* list = reader->GetTransformList();
  using Linear = itk::MatrixOffsetTransformBase<double, 3, 3>;
  const auto* linear =
      list->size() == 1 ? dynamic_cast<const Linear*>(list->front().GetPointer()) : nullptr;
  if (!linear) throw input_error(path.string(), "does not hold exactly one affine transform");

  Affine affine;
  const auto& matrix = linear->GetMatrix();
  const auto& offset = linear->GetOffset();  // offset already folds in the centre
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) affine.m[r * 4 + c] = matrix[r][c];
    affine.m[r * 4 + 3] = offset[r];
  }
  return affine;
}

}  // namespace strokefair
