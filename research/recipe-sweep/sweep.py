#!/usr/bin/env python3
"""WBC recipe sweep. Parent decodes data (no torch), spawns N GPU workers that pull jobs
(priority order) from a queue; one JSON line per finished run to OUT/results.jsonl."""
import os, sys, io, json, time, math, argparse, traceback, itertools
import numpy as np

T0 = time.time()
CLASSES = None
MEAS = {(16, 64): 900., (16, 80): 560., (24, 72): 305., (24, 80): 235.}


def speed(w, px):
    # geometric mean of predictions from measured points, speed ∝ 1/(w^2 px^2)
    if (w, px) in MEAS:
        return MEAS[(w, px)]
    logs = [math.log(s * (w0 * w0 * p0 * p0) / (w * w * px * px)) for (w0, p0), s in MEAS.items()]
    return math.exp(sum(logs) / len(logs))


def est_cpu_min(j, ntrain=7130):
    if j.get('prog'):
        e1 = int(round(0.4 * j['ep']))
        return (e1 * ntrain / speed(j['w'], j['px'] - 16) + (j['ep'] - e1) * ntrain / speed(j['w'], j['px'])) / 60
    return j['ep'] * ntrain / speed(j['w'], j['px']) / 60


def make_split(y, seed=42, test_frac=0.2, val_frac=0.1):
    rng = np.random.RandomState(seed)
    tr, va, te = [], [], []
    for c in range(int(y.max()) + 1):
        idx = np.where(y == c)[0]
        idx = idx[rng.permutation(len(idx))]
        nte = int(round(test_frac * len(idx)))
        te += list(idx[:nte]); rest = idx[nte:]
        nva = int(round(val_frac * len(rest)))
        va += list(rest[:nva]); tr += list(rest[nva:])
    return np.sort(np.array(tr)), np.sort(np.array(va)), np.sort(np.array(te))


def job_list(quick=False):
    base = dict(w=16, px=80, ep=30, crop=0.75, loss='cw', wd=5e-4, amp=True, prog=False, ema=True)
    jobs = []

    def add(tag, **kw):
        for s in (0, 1):
            j = dict(base); j.update(kw); j['seed'] = s; j['tag'] = tag; jobs.append(j)
    q1 = [dict(w=w, px=px, ep=ep) for w in (16, 20, 24) for px in (64, 72, 80) for ep in (20, 30, 40)]
    cost = lambda d: est_cpu_min(dict(base, **d))
    p1 = sorted([d for d in q1 if d['ep'] >= 30], key=cost, reverse=True)
    p3 = sorted([d for d in q1 if d['ep'] == 20], key=cost, reverse=True)
    for d in p1: add('Q1', **d)
    for d in p3: add('Q1', **d)
    add('Q2', crop=0.6); add('Q2', crop=0.9)
    add('Q4', loss='bal'); add('Q4', loss='none')
    add('wd', wd=0.05)
    add('fp32', amp=False)
    add('Q6', prog=True)
    add('Q6', prog=True, w=24)
    add('Q6', prog=True, w=16, px=72)
    for i, j in enumerate(jobs):
        j['id'] = i
        j['est_cpu_min'] = round(est_cpu_min(j), 2)
    return jobs


# ---------------------------------------------------------------- worker (torch)
def worker(wid, args, jobq, resq):
    import torch, torch.nn as nn, torch.nn.functional as F, copy
    torch.set_num_threads(1)
    dev = torch.device(args.device)
    cuda = dev.type == 'cuda'
    if cuda:
        torch.backends.cudnn.benchmark = True
    d = np.load(args.cache)
    X = torch.from_numpy(d['X']).to(dev).permute(0, 3, 1, 2).contiguous()  # N,3,112,112 uint8
    Y = torch.from_numpy(d['y'].astype(np.int64)).to(dev)
    tr, va, te = [torch.from_numpy(d[k].astype(np.int64)).to(dev) for k in ('tr', 'va', 'te')]
    if args.limit:
        g = torch.Generator().manual_seed(0)
        tr = tr[torch.randperm(len(tr), generator=g)[:args.limit].to(dev)]
        va = va[torch.randperm(len(va), generator=g)[:max(60, args.limit // 5)].to(dev)]
        te = te[torch.randperm(len(te), generator=g)[:max(100, args.limit // 3)].to(dev)]
    C = 9
    ntr = len(tr)

    class Net(nn.Module):
        def __init__(self, w):
            super().__init__()
            L = []; cin = 3
            for i, c in enumerate([w, 2 * w, 4 * w, 8 * w]):
                for _ in range(2):
                    L += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
                    cin = c
                if i < 3:
                    L.append(nn.MaxPool2d(2))
            self.features = nn.Sequential(*L)
            self.drop = nn.Dropout(0.2)
            self.fc = nn.Linear(8 * w, C)

        def forward(self, x):
            x = self.features(x).float().mean((2, 3))
            return self.fc(self.drop(x))

    # 8 dihedral 2x2 matrices
    Ds = []
    for k in range(4):
        c, s = [1, 0, -1, 0][k], [0, 1, 0, -1][k]
        R = [[c, -s], [s, c]]
        Ds.append(R)
        Ds.append([[-R[0][0], R[0][1]], [-R[1][0], R[1][1]]])  # R @ diag(-1,1)
    Dtab = torch.tensor(Ds, dtype=torch.float32, device=dev)

    def sample_inputs(idx, crop, px, aug, mean=None, std=None, gen=None):
        B = len(idx)
        x = X[idx].float().div_(255.)
        if aug:
            k = torch.randint(0, 8, (B,), device=dev)
            s = torch.empty(B, device=dev).uniform_(0.9, 1.1)
            t = torch.empty(B, 2, device=dev).uniform_(-0.06, 0.06)
            A = Dtab[k] * (crop * s)[:, None, None]
            theta = torch.cat([A, t[:, :, None]], 2)
        else:
            theta = torch.zeros(B, 2, 3, device=dev)
            theta[:, 0, 0] = crop; theta[:, 1, 1] = crop
        grid = F.affine_grid(theta, [B, 3, px, px], align_corners=False)
        x = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
        if aug:
            gain = torch.empty(B, 3, 1, 1, device=dev).uniform_(0.95, 1.05)
            x = x * gain
            m = x.mean((1, 2, 3), keepdim=True)
            con = torch.empty(B, 1, 1, 1, device=dev).uniform_(0.85, 1.15)
            x = (x - m) * con + m
            br = torch.empty(B, 1, 1, 1, device=dev).uniform_(0.9, 1.1)
            x = (x * br).clamp_(0, 1)
        if mean is not None:
            x = (x - mean) / std
        return x.contiguous(memory_format=torch.channels_last)

    def autocast(amp):
        return torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp)

    @torch.no_grad()
    def predict(model, idx, crop, px, mean, std, amp, nviews=8):
        """returns probs [8, n, C] for the 8 dihedral views (order: rot k, rot k of hflip)"""
        model.eval()
        out = []
        for i in range(0, len(idx), 512):
            x = sample_inputs(idx[i:i + 512], crop, px, False, mean, std)
            views = []
            for k in range(4 if nviews == 8 else 1):
                views.append(torch.rot90(x, k, (2, 3)))
                views.append(torch.rot90(torch.flip(x, (3,)), k, (2, 3)))
            xs = torch.cat(views, 0).contiguous(memory_format=torch.channels_last)
            with autocast(amp):
                p = model(xs).float().softmax(1)
            out.append(p.view(len(views), -1, C))
        return torch.cat(out, 1)

    def metrics(probs, idx):
        y = Y[idx].cpu().numpy()
        res = {}
        for nv, sel in ((1, [0]), (2, [0, 1]), (4, [0, 2, 4, 6]), (8, list(range(8)))):
            pred = probs[sel].mean(0).argmax(1).cpu().numpy()
            cm = np.zeros((C, C), np.int64)
            np.add.at(cm, (y, pred), 1)
            tp = np.diag(cm); f1 = 2 * tp / np.maximum(cm.sum(0) + cm.sum(1), 1)
            res['acc%d' % nv] = round(float(tp.sum() / cm.sum()) * 100, 2)
            res['f1_%d' % nv] = round(float(f1.mean()), 4)
        return res

    def run(j):
        torch.manual_seed(j['seed']); np.random.seed(j['seed'])
        amp = j['amp']
        if cuda:
            try:
                torch.backends.cudnn.allow_tf32 = amp
                torch.backends.cuda.matmul.allow_tf32 = False
            except Exception as ex:
                print('tf32 flag', ex, flush=True)
        w, px, ep, crop = j['w'], j['px'], j['ep'], j['crop']
        epochs = ep if not args.epochs else args.epochs
        # normalisation stats on training split, identity view
        with torch.no_grad():
            s1 = torch.zeros(3, device=dev, dtype=torch.float64); s2 = torch.zeros_like(s1); n = 0
            for i in range(0, ntr, 1024):
                x = sample_inputs(tr[i:i + 1024], crop, px, False).double()
                s1 += x.sum((0, 2, 3)); s2 += (x * x).sum((0, 2, 3)); n += x.numel() / 3
            mean = (s1 / n); std = (s2 / n - mean ** 2).sqrt()
            mean = mean.float().view(1, 3, 1, 1); std = std.float().view(1, 3, 1, 1)
        counts = torch.bincount(Y[tr], minlength=C).float()
        cw = ntr / (C * counts); cw = cw / cw.mean()
        model = Net(w).to(dev).to(memory_format=torch.channels_last)
        ema_model = copy.deepcopy(model)
        kw = dict(fused=True) if cuda else dict(foreach=True)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3 / 25, weight_decay=j['wd'], **kw)
        bs = 64
        spe = (ntr + bs - 1) // bs
        total = spe * epochs
        peak, warm = 3e-3, int(0.3 * total)

        def lr_at(t):
            if t < warm:
                return peak / 25 + (peak - peak / 25) * (1 - math.cos(math.pi * t / warm)) / 2
            p = (t - warm) / max(1, total - warm)
            return peak / 1e4 + (peak - peak / 1e4) * (1 + math.cos(math.pi * p)) / 2
        ema_d = 0.999
        tracked = list(model.parameters()) + [b for b in model.buffers() if b.dtype.is_floating_point]
        ema_t = [torch.zeros_like(p) for p in tracked]
        lossw = cw if j['loss'] == 'cw' else None
        samp_p = (1.0 / counts)[Y[tr]] if j['loss'] == 'bal' else None
        e_small = int(round(0.4 * epochs)) if j['prog'] else 0
        step = 0
        hist = []
        if args.dump:
            from PIL import Image
            xa = sample_inputs(tr[:16], crop, px, True, mean, std) * std + mean
            xi = sample_inputs(tr[:16], crop, px, False, mean, std)
            v = torch.cat([torch.rot90(xi, 1, (2, 3)), torch.flip(xi, (3,))], 0) * std + mean
            big = sample_inputs(tr[:16], 1.0, 112, False)
            def grid(t):
                t = (t.clamp(0, 1) * 255).byte().permute(0, 2, 3, 1).cpu().numpy()
                return np.concatenate(list(t), 1)
            Image.fromarray(grid(big)).save(args.out + '/orig.png')
            Image.fromarray(np.concatenate([grid(xa), grid(xi), grid(v[:16]), grid(v[16:])], 0)).save(args.out + '/aug.png')
            return None
        t_start = time.time()
        aborted = False
        for e in range(epochs):
            if time.time() - T0_shared > args.hard:
                aborted = True; break
            cur_px = px - 16 if e < e_small else px
            model.train()
            if samp_p is not None:
                order = tr[torch.multinomial(samp_p, ntr, replacement=True)]
            else:
                order = tr[torch.randperm(ntr, device=dev)]
            lsum = torch.zeros((), device=dev)
            for i in range(spe):
                idx = order[i * bs:(i + 1) * bs]
                x = sample_inputs(idx, crop, cur_px, True, mean, std)
                for g in opt.param_groups:
                    g['lr'] = lr_at(step)
                with autocast(amp):
                    logits = model(x)
                loss = F.cross_entropy(logits.float(), Y[idx], weight=lossw, label_smoothing=0.1)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                if j['ema']:
                    with torch.no_grad():
                        torch._foreach_mul_(ema_t, ema_d)
                        torch._foreach_add_(ema_t, [p.detach() for p in tracked], alpha=1 - ema_d)
                lsum += loss.detach()
            pv = predict(model, va, crop, px, mean, std, amp, nviews=1)
            vacc = float((pv[0].argmax(1) == Y[va]).float().mean()) * 100
            hist.append((round(float(lsum) / spe, 4), round(vacc, 2)))
        if aborted:
            return None
        train_s = time.time() - t_start
        res = dict(j)
        res['train_s'] = round(train_s, 1)
        res['img_s'] = round(epochs * ntr / train_s, 1)
        res['loss_val_hist'] = hist
        res['val_final'] = hist[-1][1]
        bi = int(np.argmax([h[1] for h in hist]))
        res['val_best'] = hist[bi][1]; res['val_best_ep'] = bi + 1
        pt = predict(model, te, crop, px, mean, std, amp)
        res['test'] = metrics(pt, te)
        res['val'] = metrics(predict(model, va, crop, px, mean, std, amp), va)
        if j['ema']:
            corr = 1 - ema_d ** step
            with torch.no_grad():
                et = [p for p in ema_model.parameters()] + [b for b in ema_model.buffers() if b.dtype.is_floating_point]
                for a, b in zip(et, ema_t):
                    a.copy_(b / corr)
            res['ema_bufavg_test'] = metrics(predict(ema_model, te, crop, px, mean, std, amp), te)
            # BN re-estimation with training augmentation, cumulative average
            with torch.no_grad():
                for mod in ema_model.modules():
                    if isinstance(mod, nn.BatchNorm2d):
                        mod.reset_running_stats(); mod.momentum = None
                ema_model.train()
                perm = tr[torch.randperm(ntr, device=dev)]
                for i in range(0, ntr, 256):
                    x = sample_inputs(perm[i:i + 256], crop, px, True, mean, std)
                    with autocast(amp):
                        ema_model(x)
            res['ema_bnre_test'] = metrics(predict(ema_model, te, crop, px, mean, std, amp), te)
            res['ema_bnre_val'] = metrics(predict(ema_model, va, crop, px, mean, std, amp), va)
        res['wall_total_s'] = round(time.time() - t_start, 1)
        res['worker'] = wid
        return res

    T0_shared = args.t0
    while True:
        if time.time() - T0_shared > args.soft:
            break
        j = jobq.get()
        if j is None:
            break
        if time.time() - T0_shared > args.soft:
            break
        try:
            r = run(j)
            resq.put(('ok' if r is not None else 'aborted', j['id'], r))
        except Exception:
            resq.put(('err', j['id'], traceback.format_exc()))
    resq.put(('done', wid, None))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='.sweep/wbc112_jpg.npz')
    ap.add_argument('--out', default=os.environ.get('OUT', '/tmp/sweep_out'))
    ap.add_argument('--cache', default='/tmp/wbc_cache.npz')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--workers', type=int, default=10)
    ap.add_argument('--soft', type=float, default=420)
    ap.add_argument('--hard', type=float, default=462)
    ap.add_argument('--limit', type=int, default=0)
    ap.add_argument('--epochs', type=int, default=0)
    ap.add_argument('--dump', type=int, default=0)
    ap.add_argument('--jobs', default='')  # comma list of job ids
    args = ap.parse_args()
    args.t0 = T0
    os.makedirs(args.out, exist_ok=True)
    from PIL import Image
    d = np.load(args.data)
    data, off = d['data'], d['offsets']
    X = np.stack([np.asarray(Image.open(io.BytesIO(data[off[i]:off[i + 1]].tobytes())).convert('RGB'))
                  for i in range(len(off) - 1)])
    y = d['labels'].astype(np.int64)
    tr, va, te = make_split(y)
    print('data', X.shape, 'train/val/test', len(tr), len(va), len(te), 'decode %.1fs' % (time.time() - T0), flush=True)
    np.savez(args.cache, X=X, y=y, tr=tr, va=va, te=te)
    jobs = job_list()
    if args.jobs:
        keep = [int(s) for s in args.jobs.split(',')]
        jobs = [jobs[i] for i in keep]
    print('jobs', len(jobs), 'est total cpu-min', round(sum(j['est_cpu_min'] for j in jobs), 1), flush=True)
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    jobq, resq = ctx.Queue(), ctx.Queue()
    for j in jobs:
        jobq.put(j)
    for _ in range(args.workers):
        jobq.put(None)
    procs = [ctx.Process(target=worker, args=(i, args, jobq, resq), daemon=True) for i in range(args.workers)]
    for p in procs:
        p.start()
    fout = open(os.path.join(args.out, 'results.jsonl'), 'a')
    done = 0; nok = 0; errs = 0
    import queue as Q
    while done < args.workers and time.time() - T0 < args.hard + 8:
        try:
            kind, jid, r = resq.get(timeout=1.0)
        except Q.Empty:
            continue
        if kind == 'done':
            done += 1; continue
        if kind == 'ok':
            nok += 1
            fout.write(json.dumps(r) + '\n'); fout.flush()
            t = r['test']
            print('[%5.0fs] #%d %s w%d px%d ep%d crop%.2f %s wd%g amp%d prog%d s%d | val %.2f | test %.2f/%.2f/%.2f/%.2f f1 %.4f | ema %.2f | %.0f img/s %.0fs' % (
                time.time() - T0, jid, r['tag'], r['w'], r['px'], r['ep'], r['crop'], r['loss'], r['wd'], r['amp'], r['prog'], r['seed'],
                r['val_final'], t['acc1'], t['acc2'], t['acc4'], t['acc8'], t['f1_1'], r.get('ema_bnre_test', {}).get('acc1', -1),
                r['img_s'], r['train_s']), flush=True)
        elif kind == 'aborted':
            print('[%5.0fs] #%d aborted at hard deadline' % (time.time() - T0, jid), flush=True)
        else:
            errs += 1
            print('[%5.0fs] #%d ERROR\n%s' % (time.time() - T0, jid, r), flush=True)
            if errs >= 2 or nok == 0:
                print('aborting on error', flush=True)
                break
    for p in procs:
        if p.is_alive():
            p.terminate()
    print('finished: %d ok, %d errors, %.0fs' % (nok, errs, time.time() - T0), flush=True)
    sys.exit(1 if (errs and nok == 0) else 0)


if __name__ == '__main__':
    main()
