// The JavaScript-facing Engine: reads and checks every argument (args.h, batch-args.h) on the JavaScript
// thread, then runs the LibTorch work (engine-core.h) there when it is light, or on a worker thread with
// a promise when it is heavy. Batches arrive as typed arrays over the caller's pixel buffer; no per-image
// calls cross the boundary. Every error reaches JavaScript as one line (errors.h).
#pragma once
#include <napi.h>

#include <memory>

#include "engine-core.h"
#include "work-thread.h"

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new Engine({ network: { widths, convsPerStage, classes, dropout },
  //              input: { inputSize, storedSize, mean, std }, device: 'cpu' | 'cuda', bfloat16, seed })
  explicit Engine(const Napi::CallbackInfo& info);

 private:
  // Runs a call's work off the JavaScript thread, and marks the engine busy until it settles.
  friend class EngineWorker;

  // configureTraining({ weightDecay, labelSmoothing, classWeights: Float32Array }): a fresh AdamW optimiser.
  void ConfigureTraining(const Napi::CallbackInfo& info);
  // trainStep(pixels, indices, labels, augment, learningRate[, shareOffset, globalSize]) -> Promise<{ loss, correct }>
  // In a group, this rank's images are rows shareOffset.. of a global batch of globalSize images; loss and
  // correct are then the global batch's, and every rank applies the same all-reduced gradients.
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  // predict(pixels, indices, augment | null) -> Promise<Float32Array> of n * classes probabilities
  Napi::Value Predict(const Napi::CallbackInfo& info);
  // features(pixels, indices, augment | null) -> Promise<Float32Array> of n * featureSize pooled features
  Napi::Value Features(const Napi::CallbackInfo& info);
  // logitsAndFeatures(pixels, indices, augment | null) -> Promise<Float32Array> of n * (classes + featureSize):
  // each row the class logits, then the pooled features, from one forward pass
  Napi::Value LogitsAndFeatures(const Napi::CallbackInfo& info);
  // recalibrateNormalization(pixels, indices) -> Promise<void>: batch-norm statistics recomputed as exact
  // averages over these images (in a group every rank passes the same indices and computes a share)
  Napi::Value RecalibrateNormalization(const Napi::CallbackInfo& info);
  // setHead(weight: Float32Array classes * featureSize, bias: Float32Array classes): replaces the linear head
  void SetHead(const Napi::CallbackInfo& info);
  Napi::Value FeatureSize(const Napi::CallbackInfo& info);
  // save(path, withOptimizer) / load(path | bytes, withOptimizer): weights, and for resuming also the
  // optimiser state and the CPU random generator's state
  void Save(const Napi::CallbackInfo& info);
  void Load(const Napi::CallbackInfo& info);
  // parameters() -> { [name]: { shape: number[], data: Float32Array } }: parameters and batch-norm buffers
  Napi::Value Parameters(const Napi::CallbackInfo& info);
  // joinGroup(processGroup): from now on training steps and recalibrations are data-parallel over the group
  void JoinGroup(const Napi::CallbackInfo& info);

  // An engine runs one call at a time: while a promise of it is pending, every other call is refused
  // with a one-line error (awaiting each call is all a caller needs to do).
  // A synchronous method, called through withOneLineErrors and refused while a call is in flight.
  template <auto Method>
  Napi::Value checkedMethod(const Napi::CallbackInfo& info);
  // An asynchronous method: its argument errors and the busy refusal become rejected promises.
  template <auto Method>
  Napi::Value promisedMethod(const Napi::CallbackInfo& info);
  void refuseWhileBusy(const Napi::Env& env) const;
  WorkThread& workThread();
  void construct(const Napi::CallbackInfo& info);
  // pixels, indices and (when allowed) augment rows at info[0], info[1], info[augmentAt].
  BatchRequest batchRequest(const Napi::CallbackInfo& info, int augmentAt, bool augmentRequired);
  Napi::Value evaluate(const Napi::CallbackInfo& info, Rows rows);

  std::unique_ptr<EngineCore> core;
  // Declared after core: destroyed first, so that its thread has stopped before the core goes.
  std::unique_ptr<WorkThread> thread;
  int64_t storedSize = 0;
  bool busy = false;
};
