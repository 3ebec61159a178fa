{
  "targets": [
    {
      "target_name": "wbc_native",
      "sources": [
        "src/native/addon/addon.cc",
        "src/native/addon/network.cc",
        "src/native/addon/batch.cc",
        "src/native/addon/engine-binding.cc",
        "src/native/addon/engine-core.cc",
        "src/native/addon/work-thread.cc",
        "src/native/addon/args.cc",
        "src/native/addon/batch-args.cc",
        "src/native/addon/errors.cc",
        "src/native/addon/files.cc",
        "src/native/addon/weights.cc",
        "src/native/addon/jpeg-batch.cc",
        "src/native/addon/jpeg-decode.cc",
        "src/native/addon/knn.cc",
        "src/native/addon/reduce.cc",
        "src/native/addon/group-link.cc",
        "src/native/addon/process-group.cc",
        "src/native/addon/sync-batch-norm.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.js include)"
      ],
      "libraries": ["<!@(node scripts/find-libtorch.js libs)", "-lturbojpeg", "-lgomp"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "USE_C10D_GLOO", "<!@(node scripts/find-libtorch.js defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter"]
    }
  ]
}
