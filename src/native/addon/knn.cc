#include "knn.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "args.h"
#include "promise-worker.h"

namespace {

constexpr int64_t kMaxSize = 1 << 16;
constexpr int64_t kMaxNeighbours = 1024;

class KnnWorker : public PromiseWorker {
 public:
  KnnWorker(Napi::Env env, std::vector<float> bank, std::vector<float> queries, int64_t size, int64_t k)
      : PromiseWorker(env), bank_(std::move(bank)), queries_(std::move(queries)), size_(size), k_(k) {}

 private:
  void Work() override {
    const int64_t rows = static_cast<int64_t>(bank_.size()) / size_;
    const int64_t n = static_cast<int64_t>(queries_.size()) / size_;
    out_.resize(static_cast<size_t>(n));
    std::vector<float> unit(static_cast<size_t>(size_));
    std::vector<double> top(static_cast<size_t>(k_));
    for (int64_t q = 0; q < n; ++q) {
      normalise(queries_.data() + q * size_, unit.data());
      std::fill(top.begin(), top.end(), -INFINITY);
      for (int64_t b = 0; b < rows; ++b) keepLargest(top, dot(unit.data(), bank_.data() + b * size_));
      out_[static_cast<size_t>(q)] = static_cast<float>(std::sqrt(std::max(0.0, 2 - 2 * top[0])));
    }
  }

  // The row scaled to unit length, each value rounded to float (a zero row stays zero).
  void normalise(const float* row, float* unit) const {
    double norm = 0;
    for (int64_t j = 0; j < size_; ++j) norm += static_cast<double>(row[j]) * row[j];
    const double scale = norm > 0 ? 1 / std::sqrt(norm) : 0;
    for (int64_t j = 0; j < size_; ++j) unit[j] = static_cast<float>(row[j] * scale);
  }

  // In doubles, four running sums (the products of two floats are exact in a double).
  double dot(const float* x, const float* y) const {
    double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    int64_t j = 0;
    for (; j + 3 < size_; j += 4) {
      d0 += static_cast<double>(x[j]) * y[j];
      d1 += static_cast<double>(x[j + 1]) * y[j + 1];
      d2 += static_cast<double>(x[j + 2]) * y[j + 2];
      d3 += static_cast<double>(x[j + 3]) * y[j + 3];
    }
    for (; j < size_; ++j) d0 += static_cast<double>(x[j]) * y[j];
    return d0 + d1 + d2 + d3;
  }

  // `top` holds the k largest similarities so far, smallest first.
  static void keepLargest(std::vector<double>& top, double similarity) {
    if (similarity <= top[0]) return;
    size_t i = 1;
    while (i < top.size() && top[i] < similarity) {
      top[i - 1] = top[i];
      ++i;
    }
    top[i - 1] = similarity;
  }

  Napi::Value Result() override {
    auto out = Napi::Float32Array::New(Env(), out_.size());
    std::copy(out_.begin(), out_.end(), out.Data());
    return out;
  }

  std::vector<float> bank_;
  std::vector<float> queries_;
  int64_t size_;
  int64_t k_;
  std::vector<float> out_;
};

}  // namespace

Napi::Value KnnDistances(const Napi::CallbackInfo& info) {
  return promiseOf(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const int64_t size = args::wholeNumber(info[2], "size", 1, kMaxSize);
    const int64_t k = args::wholeNumber(info[3], "k", 1, kMaxNeighbours);
    // The typed arrays last: reading numbers cannot run JavaScript that would change them after the checks.
    auto bank = args::float32Array(info[0], "bank");
    auto queries = args::float32Array(info[1], "queries");
    if (bank.ElementLength() % static_cast<size_t>(size) != 0 || queries.ElementLength() % static_cast<size_t>(size) != 0) {
      args::throwRange(env, "bank and queries must hold whole rows of " + std::to_string(size) + " features");
    }
    if (static_cast<int64_t>(bank.ElementLength()) / size < k) {
      args::throwRange(env, "the bank has fewer than k = " + std::to_string(k) + " rows");
    }
    args::elementsWithin(bank, "bank", {});
    args::elementsWithin(queries, "queries", {});
    std::vector<float> bankCopy(bank.Data(), bank.Data() + bank.ElementLength());
    std::vector<float> queryCopy(queries.Data(), queries.Data() + queries.ElementLength());
    return (new KnnWorker(env, std::move(bankCopy), std::move(queryCopy), size, k))->Start();
  });
}
