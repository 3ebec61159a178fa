import os, io, sys, numpy as np
from PIL import Image
# Run from the repository root: reads ../shared/data/wbc, writes .sweep/ (git-ignored; the data never enters the repo).
root = '../shared/data/wbc'
classes = sorted(os.listdir(root))
S = 112
imgs, labels, names = [], [], []
for ci, c in enumerate(classes):
    for f in sorted(os.listdir(os.path.join(root, c))):
        if not f.lower().endswith(('.jpg', '.jpeg')): continue
        im = Image.open(os.path.join(root, c, f)).convert('RGB')
        w, h = im.size; s = min(w, h)
        l, t = (w - s) // 2, (h - s) // 2
        im = im.crop((l, t, l + s, t + s)).resize((S, S), Image.LANCZOS)
        imgs.append(np.asarray(im, dtype=np.uint8)); labels.append(ci); names.append(c + '/' + f)
X = np.stack(imgs); y = np.array(labels, np.int16)
print(X.shape, np.bincount(y))
# JPEG variant
blobs = []
for a in X:
    b = io.BytesIO(); Image.fromarray(a).save(b, format='JPEG', quality=92); blobs.append(np.frombuffer(b.getvalue(), np.uint8))
lens = np.array([len(b) for b in blobs], np.int64)
off = np.concatenate([[0], np.cumsum(lens)])
os.makedirs('.sweep', exist_ok=True)
np.savez('.sweep/wbc112_jpg.npz', data=np.concatenate(blobs), offsets=off, labels=y, names=np.array(names), classes=np.array(classes))
print('jpeg total MB', lens.sum() / 1e6)
