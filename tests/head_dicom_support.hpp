// A real head in real DICOM, for tests that need ingest to meet one: Colin27 (Debian's
// mricron-data) written into the pixel data of the shared GE series, whose own pixels image an
// object, not a head.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ingest_support.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"

namespace strokefair::test {

inline const std::filesystem::path kColin27Head = "/usr/share/mricron/templates/ch2.nii.gz";

inline std::string command_output(const std::string& command) {
  std::string text;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  char chunk[4096];
  for (std::size_t n; pipe && (n = fread(chunk, 1, sizeof chunk, pipe.get())) > 0;)
    text.append(chunk, n);
  return text;
}

// The numbers inside the brackets of each dcmdump line that starts with `tag`, file by file.
inline std::vector<std::vector<double>> dicom_numbers(const std::string& dump,
                                                      const std::string& tag) {
  std::vector<std::vector<double>> all;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(tag, 0) != 0) continue;
    std::string text = line.substr(line.find('[') + 1);
    text = text.substr(0, text.find(']'));
    std::replace(text.begin(), text.end(), '\\', ' ');
    std::istringstream in(text);
    all.emplace_back();
    for (double v; in >> v;) all.back().push_back(v);
  }
  return all;
}

// Colin27 written into the pixel data of the GE DICOM series (each pixel sampled at its own
// patient position), so that ingest meets a real head in real DICOM. The series stores its
// 256 x 256 int16 pixel data uncompressed as the last element of each file.
inline std::filesystem::path colin27_dicom_series(const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(shared_dicom() / "dcm_qa_deident/In")) {
    files.push_back(folder / e.path().filename());
    std::filesystem::copy_file(e.path(), files.back());
    std::filesystem::permissions(files.back(), std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
  }
  std::string names;
  for (const auto& f : files) names += " " + f.string();
  const std::string dump = command_output("dcmdump +P 0020,0032 +P 0020,0037 +P 0028,0030" + names);
  const auto positions = dicom_numbers(dump, "(0020,0032)");
  const auto orientations = dicom_numbers(dump, "(0020,0037)");
  const auto spacings = dicom_numbers(dump, "(0028,0030)");
  EXPECT_EQ(positions.size(), files.size());
  if (positions.size() != files.size() || orientations.size() != files.size()) return folder;

  const Image colin = read_image(kColin27Head);
  const Affine to_index = colin.geometry.physical_to_voxel();
  constexpr std::size_t kPixelBytes = 256 * 256 * 2;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const auto &position = positions[f], &orientation = orientations[f], &spacing = spacings[f];
    std::vector<std::int16_t> pixels(256 * 256);
    for (int r = 0; r < 256; ++r)
      for (int c = 0; c < 256; ++c) {
        Vec3 p;  // DICOM patient coordinates are LPS, as strokefair's physical space
        for (int a = 0; a < 3; ++a)
          p[a] =
              position[a] + c * spacing[1] * orientation[a] + r * spacing[0] * orientation[3 + a];
        const Vec3 v = to_index.apply(p);
        pixels[r * 256 + c] =
            static_cast<std::int16_t>(10 * sample_linear(colin, v[0], v[1], v[2]));
      }
    std::string bytes = file_bytes(files[f]);
    const std::string pixel_tag("\xe0\x7f\x10\x00OW\0\0\0\0\x02\0", 12);
    EXPECT_EQ(bytes.substr(bytes.size() - kPixelBytes - 12, 12), pixel_tag) << files[f];
    bytes.replace(bytes.size() - kPixelBytes, kPixelBytes,
                  reinterpret_cast<const char*>(pixels.data()), kPixelBytes);
    std::ofstream(files[f], std::ios::binary | std::ios::trunc) << bytes;
  }
  return folder;
}

// The shared DICOM with the GE object series replaced by Colin27 in the same series: a GE T1
// head, a Philips DWI and the Siemens EPI series.
inline std::string dicom_inputs_with_head(const std::filesystem::path& scratch) {
  const auto d = shared_dicom();
  return (d / "dcm_qa_subset/In").string() + " " +
         colin27_dicom_series(scratch / "colin27-dicom").string() + " " +
         (d / "dcm_qa_philips_dwi/In").string();
}

// What an ingest of that DICOM with the example site mapping and clinical table needs and
// this machine lacks; empty when it can run.
inline std::string missing_for_example_ingest() {
  if (!std::filesystem::exists(shared_dicom() / "dcm_qa_deident/In")) return "shared DICOM absent";
  if (!std::filesystem::exists(data_dir() / "bids/schema-1.11.1.json")) return "BIDS schema absent";
  if (!have_program("dcm2niix")) return "dcm2niix not installed";
  if (!have_program("dcmdump")) return "dcmdump (dcmtk) not installed";
  if (!std::filesystem::exists(kColin27Head)) return "mricron-data not installed";
  return "";
}

// That ingest into `dataset`, with its scratch files under `scratch`; the exit code.
inline int ingest_example(const std::filesystem::path& scratch,
                          const std::filesystem::path& dataset) {
  return run_strokefair("ingest " + dicom_inputs_with_head(scratch) + " --bids " +
                        dataset.string() + " --config " + example("site-mapping.json") +
                        " --participants " + example("clinical-example.csv"));
}

}  // namespace strokefair::test
