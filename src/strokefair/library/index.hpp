// Nearest-neighbour search over lesion feature vectors: FAISS exact (flat) search for small
// libraries, an inverted-file index for large ones, plain C++ when FAISS is not available.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace strokefair {

enum class IndexKind { automatic, exact, approximate };

struct Neighbour {
  std::size_t row = 0;  // row of the vector in the order it was added
  double distance = 0;  // Euclidean
};

class VectorIndex {
 public:
  // Libraries up to this size are searched exactly under IndexKind::automatic.
  static constexpr std::size_t exact_limit = 50000;

  // `vectors` holds `count` rows of `dimension` floats.
  VectorIndex(std::vector<float> vectors, std::size_t dimension,
              IndexKind kind = IndexKind::automatic);
  VectorIndex(VectorIndex&&) noexcept;
  ~VectorIndex();

  // The k nearest rows, nearest first; fewer when the index holds fewer.
  std::vector<Neighbour> search(const std::vector<float>& query, std::size_t k) const;

  std::size_t size() const { return count_; }
  std::size_t dimension() const { return dimension_; }
  bool exact() const { return exact_; }
  std::string description() const;  // e.g. "FAISS IndexFlatL2"

 private:
  struct Faiss;
  std::unique_ptr<Faiss> faiss_;
  std::vector<float> vectors_;  // kept only for the plain C++ search
  std::size_t dimension_ = 0;
  std::size_t count_ = 0;
  bool exact_ = true;
};

}  // namespace strokefair
