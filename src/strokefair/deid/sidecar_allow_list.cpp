// The sidecar allow-list (the only place that names what a sidecar may keep).
#include "strokefair/deid/sidecar_allow_list.hpp"

#include <algorithm>
#include <cmath>

namespace strokefair {

const std::vector<std::string>& sidecar_allow_list() {
  static const std::vector<std::string> allowed = {
      // Scanner model and software: needed to harmonise across sites, identify no person.
      "Modality",
      "MagneticFieldStrength",
      "ImagingFrequency",
      "Manufacturer",
      "ManufacturersModelName",
      "SoftwareVersions",
      "ReceiveCoilName",
      "ReceiveCoilActiveElements",
      "CoilString",
      "MatrixCoilMode",
      "CoilCombinationMethod",
      "BodyPartExamined",
      "PatientPosition",
      // Sequence.
      "MRAcquisitionType",
      "ScanningSequence",
      "SequenceVariant",
      "ScanOptions",
      "SequenceName",
      "PulseSequenceName",
      "ImageType",
      "NonlinearGradientCorrection",
      "MTState",
      "SpoilingState",
      // Timing and contrast (durations in seconds, never clock times).
      "EchoTime",
      "RepetitionTime",
      "InversionTime",
      "FlipAngle",
      "SliceTiming",
      "DelayTime",
      "AcquisitionDuration",
      "EchoTrainLength",
      "SAR",
      // Spatial encoding.
      "SliceThickness",
      "SpacingBetweenSlices",
      "PartialFourier",
      "PartialFourierDirection",
      "BaseResolution",
      "PhaseResolution",
      "PercentPhaseFOV",
      "PercentSampling",
      "PhaseEncodingSteps",
      "PhaseEncodingStepsNoPartialFourier",
      "AcquisitionMatrixPE",
      "ReconMatrixPE",
      "ParallelReductionFactorInPlane",
      "ParallelAcquisitionTechnique",
      "MultibandAccelerationFactor",
      "PhaseEncodingDirection",
      "PhaseEncodingAxis",
      "SliceEncodingDirection",
      "ImageOrientationPatientDICOM",
      "InPlanePhaseEncodingDirectionDICOM",
      "EffectiveEchoSpacing",
      "DerivedVendorReportedEchoSpacing",
      "TotalReadoutTime",
      "EstimatedEffectiveEchoSpacing",
      "EstimatedTotalReadoutTime",
      "PixelBandwidth",
      "BandwidthPerPixelPhaseEncode",
      "DwellTime",
      "WaterFatShift",
      "RefLinesPE",
      "ShimSetting",
      "TxRefAmp",
      // Intensity scaling that quantitative use depends on (Philips, CT).
      "PhilipsRWVSlope",
      "PhilipsRWVIntercept",
      "PhilipsRescaleSlope",
      "PhilipsRescaleIntercept",
      "PhilipsScaleSlope",
      "UsePhilipsFloatNotDisplayScaling",
      "XRayExposure",
      "XRayTubeCurrent",
      "KVP",
      "ConvolutionKernel",
      "ReconstructionDiameter",
      // Provenance of the conversion.
      "ConversionSoftware",
      "ConversionSoftwareVersion",
  };
  return allowed;
}

nlohmann::json filter_sidecar(const nlohmann::json& raw) {
  const auto& allowed = sidecar_allow_list();
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& [field, value] : raw.items()) {
    if (std::find(allowed.begin(), allowed.end(), field) == allowed.end()) continue;
    if (value.is_number_float() && !std::isfinite(value.get<double>())) continue;
    kept[field] = value;
  }
  return kept;
}

nlohmann::json deidentification_record() {
  return {
      {"DeidentificationMethod",
       "strokefair allow-list of acquisition parameters; all dates, times, names, IDs, "
       "institution, device and free-text fields removed; NIfTI header text cleared; "
       "pseudonymous subject labels."},
      {"DeidentificationMethodCodeSequence",
       {{{"CodeValue", "113100"},
         {"CodingSchemeDesignator", "DCM"},
         {"CodeMeaning", "Basic Application Confidentiality Profile"}},
        {{"CodeValue", "113105"},
         {"CodingSchemeDesignator", "DCM"},
         {"CodeMeaning", "Clean Descriptors Option"}}}},
  };
}

}  // namespace strokefair
