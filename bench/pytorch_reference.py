"""The PyTorch-eager side of the benchmark: the project's network, batch pipeline and training step,
written the way a careful PyTorch user would, so that bench/run.ts can time both sides in one run.

Runs as a long-lived worker so that both sides stay warm and their repeats can be interleaved:
  /usr/bin/python3 bench/pytorch_reference.py CONFIG.json
then one command per line on stdin, each answered by name=value lines and a final "ok":
  train STEPS                      timed training steps (gather + augmentation + forward + loss + backward + AdamW)
  predict COUNT VIEWS              class probabilities for the first COUNT cached images, VIEWS flips/turns each
  predict_resampled COUNT VIEWS    the same, but cropping as the addon does (affine_grid + grid_sample), to
                                   tell the cost of that choice apart from the engine's
  predict_files LIST VIEWS         decode the JPEGs listed in file LIST (PIL), then predict them
  decode_files LIST                only decode them, as predict_files does
  quit
"""
import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def say(name, value):
    print(f"{name}={value}", flush=True)


class Network(nn.Module):
    """Same shape as src/native/addon/network.cc: conv-BN-ReLU stages, max-pooling between, mean pooling, dropout, linear head."""

    def __init__(self, widths, convs_per_stage, classes, dropout):
        super().__init__()
        layers, channels = [], 3
        for stage, width in enumerate(widths):
            if stage > 0:
                layers.append(nn.MaxPool2d(2))
            for _ in range(convs_per_stage):
                layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                channels = width
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels, classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.head(self.dropout(self.body(x).mean((2, 3))))


class Reference:
    def __init__(self, config):
        self.c = config
        torch.set_num_threads(config["threads"])
        torch.manual_seed(config["seed"])
        count, stored = config["count"], config["storedSize"]
        raw = np.fromfile(config["pixelsFile"], dtype=np.uint8, count=count * stored * stored * 3)
        self.pixels = torch.from_numpy(raw).view(count, stored, stored, 3)  # NHWC bytes, held in memory
        self.labels = torch.from_numpy(np.fromfile(config["labelsFile"], dtype=np.int32, count=count)).long()
        self.mean = torch.tensor(config["mean"]).view(1, 3, 1, 1)
        self.std = torch.tensor(config["std"]).view(1, 3, 1, 1)
        self.size = config["inputSize"]
        self.margin = (stored - self.size) // 2
        self.model = Network(config["widths"], config["convsPerStage"], config["classes"], config["dropout"])
        self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config["learningRate"],
                                           weight_decay=config["weightDecay"], foreach=config["foreach"])
        self.class_weights = torch.tensor(config["classWeights"])
        self.order = torch.empty(0, dtype=torch.long)
        self.position = 0
        self.step_count = 0

    def next_indices(self):
        if self.position >= self.order.numel():
            self.order, self.position = torch.randperm(self.pixels.shape[0]), 0
        chosen = self.order[self.position:self.position + self.c["batchSize"]]
        self.position += self.c["batchSize"]
        return chosen

    def thetas(self, n, view=None):
        """Per-image affine maps: dihedral flip/turn, zoom and shift around the centre crop (as batch.cc);
        with a view, that fixed flip/turn of the plain centre crop for every image."""
        a = self.c["augment"]
        crop = self.size / self.c["storedSize"]
        if view is not None:
            dihedral, scale = torch.full((n,), view), torch.full((n,), crop)
        else:
            dihedral = torch.randint(0, 8, (n,))
            scale = crop * torch.empty(n).uniform_(a["scale"][0], a["scale"][1])
        fx = 1.0 - 2.0 * (dihedral & 1).float()
        fy = 1.0 - 2.0 * ((dihedral >> 1) & 1).float()
        swap = (dihedral & 4) != 0
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = torch.where(swap, 0.0, fx * scale)
        theta[:, 0, 1] = torch.where(swap, fx * scale, 0.0)
        theta[:, 1, 0] = torch.where(swap, fy * scale, 0.0)
        theta[:, 1, 1] = torch.where(swap, 0.0, fy * scale)
        if view is None:
            theta[:, :, 2].uniform_(-a["shift"], a["shift"])
        return theta

    @torch.no_grad()
    def augmented_batch(self, indices):
        """Gather uint8 images, colour jitter, normalise, then one affine_grid + grid_sample for the whole batch."""
        a, n = self.c["augment"], indices.numel()
        x = self.pixels.index_select(0, indices).permute(0, 3, 1, 2).float().div_(255.0)
        x.mul_(torch.empty(n, 3, 1, 1).uniform_(1 - a["stain"], 1 + a["stain"]))
        mean = x.mean((1, 2, 3), keepdim=True)
        x.sub_(mean).mul_(torch.empty(n, 1, 1, 1).uniform_(1 - a["contrast"], 1 + a["contrast"])).add_(mean)
        x.mul_(torch.empty(n, 1, 1, 1).uniform_(1 - a["brightness"], 1 + a["brightness"])).clamp_(0.0, 1.0)
        x = (x - self.mean) / self.std
        grid = F.affine_grid(self.thetas(n), [n, 3, self.size, self.size], align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return x.contiguous(memory_format=torch.channels_last)

    def learning_rate(self):
        # A cosine decay stands in for the one-cycle schedule: the optimiser's cost does not depend on it.
        peak = self.c["learningRate"]
        return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, self.step_count / 5000)))

    def train(self, steps):
        self.model.train()
        augment_seconds = 0.0
        images = 0
        started = time.perf_counter()
        for _ in range(steps):
            indices = self.next_indices()
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate()
            self.step_count += 1
            batch_started = time.perf_counter()
            x = self.augmented_batch(indices)
            augment_seconds += time.perf_counter() - batch_started
            target = self.labels.index_select(0, indices)
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.c["bfloat16"]):
                logits = self.model(x)
            logits = logits.float()
            loss = F.cross_entropy(logits, target, weight=self.class_weights, label_smoothing=self.c["labelSmoothing"])
            loss.backward()
            self.optimizer.step()
            loss.item()
            logits.argmax(1).eq(target).sum().item()
            images += indices.numel()
        seconds = time.perf_counter() - started
        say("seconds", seconds)
        say("images", images)
        say("augment_seconds", augment_seconds)

    def crop(self, pixels, view):
        """Plain centre crop by slicing (no resampling needed), with the view's flips and transpose."""
        m, s = self.margin, self.size
        x = pixels[:, m:m + s, m:m + s, :].permute(0, 3, 1, 2).float().div_(255.0)
        # The same view as batch.cc's theta (equal to float rounding): after a transpose the flips trade axes.
        x_axis, y_axis = (2, 3) if view & 4 else (3, 2)
        if view & 4:
            x = x.transpose(2, 3)
        if view & 1:
            x = x.flip(x_axis)
        if view & 2:
            x = x.flip(y_axis)
        return ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last)

    def resampled(self, pixels, view):
        """The centre crop the way batch.cc makes it: normalise the stored image, then resample it."""
        x = pixels.permute(0, 3, 1, 2).float().div_(255.0)
        x = (x - self.mean) / self.std
        grid = F.affine_grid(self.thetas(x.shape[0], view), [x.shape[0], 3, self.size, self.size], align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return x.contiguous(memory_format=torch.channels_last)

    def probabilities(self, pixels, views, prepare=None):
        prepare = prepare or self.crop
        self.model.eval()
        chunk = self.c["inferBatch"]
        out = torch.zeros(pixels.shape[0], self.c["classes"])
        self.prepare_seconds = 0.0
        with torch.inference_mode():
            for view in range(views):
                for start in range(0, pixels.shape[0], chunk):
                    prepare_started = time.perf_counter()
                    x = prepare(pixels[start:start + chunk], view)
                    self.prepare_seconds += time.perf_counter() - prepare_started
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.c["bfloat16"]):
                        logits = self.model(x)
                    out[start:start + chunk] += torch.softmax(logits.float(), 1)
        return out / views

    def predict(self, count, views, prepare=None):
        started = time.perf_counter()
        self.probabilities(self.pixels[:count], views, prepare)
        say("seconds", time.perf_counter() - started)
        say("prepare_seconds", self.prepare_seconds)
        say("images", count)

    def decode(self, path):
        """PIL's best effort at sharp's pipeline: DCT-domain shrink on load, centre square, Lanczos resize."""
        stored = self.c["storedSize"]
        with Image.open(path) as image:
            image.draft("RGB", (stored, stored))
            image = image.convert("RGB")
            w, h = image.size
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            image = image.resize((stored, stored), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side))
            return np.asarray(image, dtype=np.uint8)

    def decode_all(self, paths):
        # PIL releases the GIL while it decodes and resizes, so threads decode in parallel.
        with ThreadPoolExecutor(max_workers=self.c["decodeWorkers"]) as pool:
            return torch.from_numpy(np.stack(list(pool.map(self.decode, paths))))

    def predict_files(self, list_file, views):
        paths = read_list(list_file)
        started = time.perf_counter()
        pixels = self.decode_all(paths)
        decoded = time.perf_counter()
        self.probabilities(pixels, views)
        finished = time.perf_counter()
        say("seconds", finished - started)
        say("decode_seconds", decoded - started)
        say("images", len(paths))

    def decode_files(self, list_file):
        paths = read_list(list_file)
        started = time.perf_counter()
        self.decode_all(paths)
        say("seconds", time.perf_counter() - started)
        say("images", len(paths))


def read_list(list_file):
    with open(list_file) as handle:
        return [line.rstrip("\n") for line in handle if line.strip()]


def main():
    with open(sys.argv[1]) as handle:
        reference = Reference(json.load(handle))
    say("torch_version", torch.__version__)
    say("threads", torch.get_num_threads())
    print("ok", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "train":
            reference.train(int(words[1]))
        elif words[0] == "predict":
            reference.predict(int(words[1]), int(words[2]))
        elif words[0] == "predict_resampled":
            reference.predict(int(words[1]), int(words[2]), reference.resampled)
        elif words[0] == "predict_files":
            reference.predict_files(words[1], int(words[2]))
        elif words[0] == "decode_files":
            reference.decode_files(words[1])
        else:
            say("error", f"unknown command {words[0]}")
        print("ok", flush=True)


if __name__ == "__main__":
    main()
