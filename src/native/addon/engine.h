// The JavaScript-facing Engine: one network with its optimiser, trained and queried a batch at a time.
// Batches arrive as typed arrays over the caller's pixel buffer; no per-image calls cross the boundary.
// Every argument is checked (args.h) and every error reaches JavaScript as one line (errors.h).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>
#include <optional>

#include "batch.h"
#include "network.h"
#include "process-group.h"

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Engine(const Napi::CallbackInfo& info);

 private:
  // configureTraining({ weightDecay, labelSmoothing, classWeights: Float32Array }): a fresh AdamW optimiser.
  void ConfigureTraining(const Napi::CallbackInfo& info);
  // trainStep(pixels, indices, labels, augment, learningRate[, shareOffset, globalSize]) -> { loss, correct }
  // In a group, this rank's images are rows shareOffset.. of a global batch of globalSize images; loss and
  // correct are then the global batch's, and every rank applies the same all-reduced gradients.
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  // predict(pixels, indices, augment | null) -> Float32Array of n * classes probabilities
  Napi::Value Predict(const Napi::CallbackInfo& info);
  // recalibrateNormalization(pixels, indices): batch-norm statistics recomputed as exact averages over these images
  // (in a group every rank passes the same indices, computes a share of the chunks, and all get the average)
  void RecalibrateNormalization(const Napi::CallbackInfo& info);
  // features(pixels, indices, augment | null) -> Float32Array of n * featureSize pooled features
  Napi::Value Features(const Napi::CallbackInfo& info);
  // setHead(weight: Float32Array classes * featureSize, bias: Float32Array classes): replaces the linear head
  void SetHead(const Napi::CallbackInfo& info);
  Napi::Value FeatureSize(const Napi::CallbackInfo& info);
  // logitsAndFeatures(pixels, indices, augment | null) -> Float32Array of n * (classes + featureSize):
  // each row the class logits, then the pooled features, from one forward pass
  Napi::Value LogitsAndFeatures(const Napi::CallbackInfo& info);
  // save(path, withOptimizer) / load(path | bytes, withOptimizer): weights, and for resuming also the
  // optimiser state and the CPU random generator's state
  void Save(const Napi::CallbackInfo& info);
  void Load(const Napi::CallbackInfo& info);
  // parameters() -> { [name]: { shape: number[], data: Float32Array } }: parameters and batch-norm buffers
  Napi::Value Parameters(const Napi::CallbackInfo& info);
  // joinGroup(processGroup): from now on training steps and recalibrations are data-parallel over the group
  void JoinGroup(const Napi::CallbackInfo& info);

  // A method called through withOneLineErrors; Define registers every method this way.
  template <auto Method>
  Napi::Value checkedMethod(const Napi::CallbackInfo& info);
  void construct(const Napi::CallbackInfo& info);
  // Images per chunk when evaluating: as many as keep the largest layer's activations within bounds.
  int64_t evaluationChunk() const;

  torch::Tensor forward(const torch::Tensor& batch);
  // Training forward pass of this rank's rows [offset, offset + n) of a global batch: synchronised batch
  // norm, and the dropout mask of the whole global batch drawn as one process would draw it.
  torch::Tensor groupTrainForward(const torch::Tensor& batch, int64_t offset, int64_t globalSize);
  // All-reduces the gradients (averaged as one process would over the global batch); returns { loss, correct } of the global batch.
  void averageAcrossGroup(const std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>>& norms, int64_t mine, int64_t chunks);
  std::pair<double, int64_t> reduceGradients(const torch::Tensor& lossSum, const torch::Tensor& weightSum, const torch::Tensor& correct);
  // Runs `perBatch` over the images at `indices` in chunks, in eval mode, copying its rows into a Float32Array.
  template <typename PerBatch>
  Napi::Float32Array evaluateRows(const Napi::CallbackInfo& info, int64_t rowSize, PerBatch perBatch);

  Network network{nullptr};
  NetworkSpec spec;
  InputGeometry geometry{};
  int64_t storedSize = 0;
  int64_t largestLayerElements = 0;  // per image: the biggest activation the network computes
  torch::Device device{torch::kCPU};
  bool bfloat16 = false;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  torch::Tensor classWeights;
  double labelSmoothing = 0.0;
  std::shared_ptr<GroupLink> group;
};
