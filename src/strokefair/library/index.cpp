// Vector search with FAISS (IndexFlatL2, IndexIVFFlat), or a plain scan without it.
#include "strokefair/library/index.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#ifdef STROKEFAIR_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/utils/utils.h>
#endif

#include "strokefair/core/error.hpp"

namespace strokefair {

#ifdef STROKEFAIR_HAVE_FAISS
struct VectorIndex::Faiss {
  std::unique_ptr<faiss::IndexFlatL2> quantizer;
  std::unique_ptr<faiss::Index> index;
};
#else
struct VectorIndex::Faiss {};
#endif

VectorIndex::VectorIndex(std::vector<float> vectors, std::size_t dimension, IndexKind kind)
    : dimension_(dimension), count_(dimension ? vectors.size() / dimension : 0) {
  if (dimension == 0 || vectors.size() % dimension != 0) {
    throw Error("feature vectors do not fill whole rows", ExitCode::internal);
  }
  exact_ = kind == IndexKind::exact || (kind == IndexKind::automatic && count_ <= exact_limit);
#ifdef STROKEFAIR_HAVE_FAISS
  faiss_ = std::make_unique<Faiss>();
  const auto d = static_cast<faiss::Index::idx_t>(dimension);
  const auto n = static_cast<faiss::Index::idx_t>(count_);
  if (exact_) {
    faiss_->index = std::make_unique<faiss::IndexFlatL2>(d);
  } else {
    // sqrt(n) lists of ~sqrt(n) vectors each; 32 probes scan ~3% of a million-case library,
    // which keeps recall of the true neighbours high (measured in bench/library_results.md).
    const auto lists = static_cast<std::size_t>(std::clamp(std::sqrt(double(n)), 16.0, 65536.0));
    faiss_->quantizer = std::make_unique<faiss::IndexFlatL2>(d);
    auto ivf = std::make_unique<faiss::IndexIVFFlat>(faiss_->quantizer.get(), d, lists);
    const faiss::Index::idx_t training =
        std::min<faiss::Index::idx_t>(n, faiss::Index::idx_t(lists) * 39);
    // Rows are taken evenly across the library so training does not see one centre only.
    std::vector<float> sample(std::size_t(training) * dimension);
    for (faiss::Index::idx_t t = 0; t < training; ++t) {
      const std::size_t row = std::size_t(t) * count_ / std::size_t(training);
      std::copy_n(vectors.begin() + row * dimension, dimension, sample.begin() + t * dimension);
    }
    ivf->train(training, sample.data());
    ivf->nprobe = 32;
    faiss_->index = std::move(ivf);
  }
  faiss_->index->add(n, vectors.data());
#else
  exact_ = true;  // the plain scan is always exact
  vectors_ = std::move(vectors);
#endif
}

VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex::~VectorIndex() = default;

std::string VectorIndex::description() const {
#ifdef STROKEFAIR_HAVE_FAISS
  return exact_ ? "FAISS IndexFlatL2 (exact)" : "FAISS IndexIVFFlat (approximate, 32 probes)";
#else
  return "plain exact scan (built without FAISS)";
#endif
}

std::vector<Neighbour> VectorIndex::search(const std::vector<float>& query, std::size_t k) const {
  if (query.size() != dimension_)
    throw Error("query vector has the wrong length", ExitCode::internal);
  k = std::min(k, count_);
  std::vector<Neighbour> found;
  if (k == 0) return found;
#ifdef STROKEFAIR_HAVE_FAISS
  std::vector<float> distances(k);
  std::vector<faiss::Index::idx_t> rows(k);
  faiss_->index->search(1, query.data(), faiss::Index::idx_t(k), distances.data(), rows.data());
  for (std::size_t i = 0; i < k; ++i) {
    if (rows[i] < 0) break;
    found.push_back({std::size_t(rows[i]), std::sqrt(std::max(0.f, distances[i]))});
  }
#else
  std::vector<Neighbour> all(count_);
  for (std::size_t r = 0; r < count_; ++r) {
    double sum = 0;
    for (std::size_t c = 0; c < dimension_; ++c) {
      const double diff = vectors_[r * dimension_ + c] - query[c];
      sum += diff * diff;
    }
    all[r] = {r, std::sqrt(sum)};
  }
  std::partial_sort(all.begin(), all.begin() + k, all.end(),
                    [](const Neighbour& a, const Neighbour& b) { return a.distance < b.distance; });
  found.assign(all.begin(), all.begin() + k);
#endif
  return found;
}

}  // namespace strokefair
