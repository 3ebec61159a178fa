// The engine's LibTorch side: one network with its optimiser, trained and queried a batch at a time.
// No JavaScript here: engine-binding.cc reads and checks every argument into the plain structs below on
// the JavaScript thread, then runs the heavy methods on a worker thread (one call at a time per engine).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "batch.h"
#include "network.h"
#include "group-link.h"

struct EngineConfig {
  NetworkSpec spec;
  InputGeometry geometry{};
  torch::Device device{torch::kCPU};
  bool bfloat16 = false;
  uint64_t seed = 0;
};

// The images of one call: the caller's pixel buffer (kept alive by the caller of the core), and this call's
// own copies of the indices and augmentation rows, so that JavaScript cannot change them mid-call.
struct BatchRequest {
  PixelSource source{};
  std::vector<int32_t> indices;
  std::vector<float> augment;  // kAugmentFields per index, or empty for the plain centre crop

  int64_t size() const { return static_cast<int64_t>(indices.size()); }
  const float* augmentRows() const { return augment.empty() ? nullptr : augment.data(); }
};

struct TrainRequest {
  BatchRequest batch;
  std::vector<int32_t> labels;
  double learningRate = 0;
  // In a group: this rank's images are rows shareOffset.. of a global batch of globalSize images.
  int64_t shareOffset = 0;
  int64_t globalSize = 0;
};

struct TrainResult {
  double loss;
  int64_t correct;
};

// What an evaluation returns per image.
enum class Rows { kProbabilities, kFeatures, kLogitsAndFeatures };

// What a network of this shape costs, for the checks made before one is built.
double parameterCount(const NetworkSpec& spec);
// Per image: the biggest activation the network computes for inputs of inputSize pixels.
int64_t largestLayerElements(const NetworkSpec& spec, int64_t inputSize);

class EngineCore {
 public:
  explicit EngineCore(const EngineConfig& config);

  int64_t classes() const { return spec_.classes; }
  int64_t featureSize() const { return network_->featureSize(); }
  int64_t headWeightCount() const { return spec_.classes * featureSize(); }
  // Per image: the biggest activation the network computes.
  int64_t largestLayerElements() const { return largestLayerElements_; }
  bool trainingConfigured() const { return optimizer_ != nullptr; }
  bool inGroup() const { return group_ != nullptr; }

  // A fresh AdamW optimiser; classWeights holds one weight per class.
  void configureTraining(double weightDecay, double labelSmoothing, const std::vector<float>& classWeights);
  // In a group, loss and correct are the global batch's, and every rank applies the same all-reduced gradients.
  TrainResult trainStep(const TrainRequest& request);
  // rowSize(rows) floats per image, evaluated in chunks that bound memory.
  std::vector<float> evaluate(const BatchRequest& request, Rows rows);
  int64_t rowSize(Rows rows) const;
  // Batch-norm statistics recomputed as exact averages over these images (in a group every rank passes the
  // same images, computes a share of the chunks, and all get the average).
  void recalibrateNormalization(const BatchRequest& request);
  // weight: classes x featureSize floats, bias: classes floats.
  void setHead(const float* weight, const float* bias);
  // The archive's bytes: weights, and withOptimizer also the optimiser and the CPU generator's state.
  std::string save(bool withOptimizer);
  // Nothing changes until the whole archive has been read and checked.
  void load(const char* bytes, size_t size, bool withOptimizer);
  // Every floating-point parameter and buffer by its module path, on the CPU as float.
  std::vector<std::pair<std::string, torch::Tensor>> floatTensors();
  void joinGroup(std::shared_ptr<GroupLink> group) { group_ = std::move(group); }

 private:
  using NormStates = std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>>;

  // Images per chunk when evaluating: as many as keep the largest layer's activations within bounds.
  int64_t evaluationChunk() const;
  torch::Tensor forward(const torch::Tensor& batch);
  // Training forward pass of this rank's rows [offset, offset + n) of a global batch: synchronised batch
  // norm, and the dropout mask of the whole global batch drawn as one process would draw it.
  torch::Tensor groupTrainForward(const torch::Tensor& batch, int64_t offset, int64_t globalSize);
  // All-reduces the gradients (averaged as one process would over the global batch); returns the global batch's result.
  TrainResult reduceGradients(const torch::Tensor& lossSum, const torch::Tensor& weightSum, const torch::Tensor& correct);
  void averageAcrossGroup(const NormStates& norms, int64_t mine, int64_t chunks);

  Network network_{nullptr};
  NetworkSpec spec_;
  InputGeometry geometry_{};
  int64_t largestLayerElements_ = 0;
  torch::Device device_{torch::kCPU};
  bool bfloat16_ = false;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  torch::Tensor classWeights_;
  double labelSmoothing_ = 0.0;
  std::shared_ptr<GroupLink> group_;
};
