// The single-patient analysis: from diffusion images to a quantified acute infarct.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strokefair/data/data_store.hpp"
#include "strokefair/preprocess/diffusion_inputs.hpp"
#include "strokefair/preprocess/normalise.hpp"
#include "strokefair/quantify/lesion_measures.hpp"
#include "strokefair/registration/template_space.hpp"
#include "strokefair/segmentation/lesion_segmentation.hpp"

namespace strokefair {

struct AnalysisOptions {
  DiffusionInputOptions inputs;
  std::string subject;           // empty: from the DWI file name
  std::string session;           // optional
  std::filesystem::path output;  // BIDS derivatives folder
  bool overwrite = false;
  std::string command_line;
  SegmentationParameters segmentation;
  // A user's TorchScript network replaces the rule-based lesion mask (docs/segmentation.md);
  // its JSON description defaults to the model file with the extension .json.
  std::filesystem::path model;
  std::filesystem::path model_description;
  // The date of analysis goes into the summary and the report, except in derivatives of a
  // dataset meant for sharing: a processing date close to admission is a date of the patient.
  bool record_analysis_date = true;
};

// Called as each stage finishes; the command line decides how to show it.
using StageObserver = std::function<void(const std::string& stage, double seconds)>;

struct AnalysisResult {
  std::string subject;
  std::string session;
  DiffusionInputs inputs;
  Template target;
  Mask brain;
  TemplateAlignment alignment;
  NormalTissue normal;
  Segmentation segmentation;
  Mask lesion_template;            // on the template's 1 mm grid
  std::vector<RegionRow> regions;  // all atlases, all regions
  std::vector<std::pair<std::string, double>> stage_seconds;
  std::vector<std::string> warnings;
};

struct AlignedBrain {
  Mask brain;                   // on the anatomy's grid
  TemplateAlignment alignment;  // with its check; the caller decides what a failure means
};

// Brain extraction of a diffusion image (rough intensity mask, affine alignment to the
// template, the mask kept within 5 mm of the template brain mapped back) with its check.
// Throws Error(bad_input) naming `source` when the image holds no head.
AlignedBrain extract_and_align_brain(const Image& anatomy, const Template& target,
                                     const std::string& source);

// Runs every stage; throws Error on bad input or on a failed check (e.g. registration).
AnalysisResult analyse(const AnalysisOptions& options, const DataStore& store,
                       const StageObserver& observer = {});

// BIDS naming: "sub-<label>[_ses-<label>]" and its folder "sub-<label>[/ses-<label>]/dwi".
std::string bids_prefix(const std::string& subject, const std::string& session);
std::filesystem::path bids_subject_folder(const std::string& subject, const std::string& session);

// A label of letters and digits only, as BIDS requires; Error(usage) otherwise.
std::string checked_label(const std::string& label, const std::string& what);

}  // namespace strokefair
