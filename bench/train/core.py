"""``train_run``: one run from a resolved config to a TrainResult, resumable at any step.

Everything a step depends on is either a function of (seed, epoch, step) or saved in the
checkpoint (weights, optimizer, schedule position, scaler, reparam state, every RNG, the running
epoch sums), so a resumed run repeats the uninterrupted one bit for bit on the same CPU and
thread count. A NaN/inf loss ends the run as "failed" with the epoch and step; SIGINT/SIGTERM
stop at the next step boundary, write a checkpoint and raise ``Interrupted`` (exit 130).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data.types import DataBundle
from ..errors import BenchError
from ..models import create_model, model_input_size
from ..models.stats import size_stats
from ..records.metrics import TEST_ACC, TEST_ACC_BEST, TEST_LOSS, TRAIN_ACC, TRAIN_LOSS
from ..suite.plan import RunSpec
from .augment import DeviceAugment
from .checkpoint import capture_rng, clear_checkpoints, load_latest, restore_rng, save_checkpoint
from .context import RunContext
from .distributed import all_reduce_sum, gather_objects
from .engine import CoreOptions, Engine, compiled_graphs, fast_kernels, resolve_options
from .feed import make_feed
from .final import pretrained_cfg, save_final
from .optim import LRSchedule, group_layout
from .progress import EventLog, Interrupted, StopFlag, epoch_bar, epoch_line, plain
from .recipe import Recipe
from .steps import step_plan
from .switching import Switching
from .timing import DeviceTimer
from .tracking import Tracking, open_tracking
from .types import TrainResult


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def model_kwargs(config: dict[str, Any], recipe: Recipe) -> dict[str, Any]:
    """The keyword arguments ``create_model`` gets: the config's, plus the recipe's drop-path rate."""
    kwargs = dict(config["model"].get("kwargs", {}))
    if recipe.drop_path:
        kwargs.setdefault("drop_path_rate", recipe.drop_path)
    return kwargs


def build_model(config: dict[str, Any], num_classes: int, recipe: Recipe) -> nn.Module:
    return create_model(config["model"]["name"], num_classes=num_classes, **model_kwargs(config, recipe))


@dataclass
class Position:
    """Where the run is: the next step to take and the running sums of the current epoch."""

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    applied_epoch: int = -1  # last epoch whose start ran apply_schedule
    history: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


class Sums:
    """Loss, correct and seen counts of this rank's epoch so far, kept on the device."""

    def __init__(self, device: torch.device) -> None:
        self.t = torch.zeros(3, dtype=torch.float64, device=device)

    def add(self, loss: torch.Tensor, correct: torch.Tensor, n: int) -> None:
        self.t[0] += loss.double() * n
        self.t[1] += correct.double()
        self.t[2] += n

    def reset(self) -> None:
        self.t.zero_()


class Run:
    """The state of one training run and the operations on it (kept out of ``train_run`` for size)."""

    def __init__(self, spec: RunSpec, data: DataBundle, ctx: RunContext, opts: CoreOptions) -> None:
        self.recipe = Recipe.from_dict(spec.config["recipe"])
        # seed_offset: a twin arm trains from other seeds than its tier's (the controls' negative control)
        config, seed, device, dist = spec.config, spec.seed + self.recipe.seed_offset, ctx.device, ctx.dist
        self.config, self.data, self.device, self.seed, self.progress = config, data, device, seed, ctx.progress
        self.run_dir, self.opts, self.dist, self.config_hash, self.log = (
            ctx.run_dir,
            opts,
            dist,
            spec.config_hash,
            ctx.log,
        )
        self.writes = self.run_dir is not None and dist.is_main
        self.events_log = EventLog(self.run_dir / "events.jsonl" if self.run_dir is not None and self.writes else None)
        seed_everything(seed)
        self.model = build_model(config, data.num_classes, self.recipe)
        # the images fed (a data source that states its size, e.g. the 16 px controls task), else the model's
        self.image_size = int(data.meta.get("image_size") or model_input_size(config["model"]["name"]))
        self.stats_start = size_stats(self.model, self.image_size)  # before any switch (also on resume)
        if dist.rank:
            seed_everything(seed + 100_003 * dist.rank)  # distinct dropout/RandAugment streams per rank
        self.switching = Switching(self.model, config.get("schedule", {}), config["model"]["name"])
        self.pos = Position()
        mean, std = data.normalization()
        self.aug = DeviceAugment(
            self.recipe.augment, data.num_classes, self.recipe.label_smoothing, device, seed, mean, std
        )
        batch = self.recipe.batch_size
        self.train = make_feed(data.train, device, seed, batch, dist, opts.workers)
        self.test = make_feed(data.test, device, seed, batch, dist, opts.workers)
        self.plan = step_plan(self.recipe, len(self.train), data.meta.get("full_train_size"))
        self.steps_per_epoch = self.plan.steps_per_epoch
        self.sched = LRSchedule(self.recipe, self.steps_per_epoch)
        self.sums = Sums(device)
        self.engine: Engine
        self.run_name = spec.run_id
        self.started, self.epochs_here = time.perf_counter(), 0  # this process's share, for the ETA (resumes too)
        self.tracking = Tracking([])

    # ---- checkpoints -------------------------------------------------------------------------

    def start(self, resume: bool) -> None:
        found = self._find_checkpoint() if resume else None
        ckpt = found[0] if found else None
        if found is not None:
            self._restore_model(*found)
        self.tracking = open_tracking(
            self.opts.log_to, self.run_dir if self.writes else None, self.run_name, self.config
        )
        self.engine = Engine(
            self.model,
            self.recipe,
            self.device,
            self.opts,
            self.dist,
            find_unused=self.switching.active,
            groups=ckpt["optimizer_groups"] if ckpt else None,
        )
        if ckpt is not None:
            self._load(ckpt)
        elif self.writes:
            assert self.run_dir is not None  # self.writes implies a run folder
            clear_checkpoints(self.run_dir)
        info: dict[str, Any] = {
            "engine": {
                k: v for k, v in asdict(self.opts).items() if k in ("compile", "precision", "channels_last", "fused")
            },
            "device": str(self.device),
            "world": self.dist.world,
            "steps_per_epoch": self.steps_per_epoch,
            "steps_per_pass": self.plan.steps_per_pass,
            "total_steps": self.plan.total_steps,
        }
        if ckpt is None:
            self.event("start", **info)

    def _find_checkpoint(self) -> tuple[dict[str, Any], Path] | None:
        if self.run_dir is None:
            return None
        found = load_latest(self.run_dir, self.log)
        if found is None:
            return None
        ckpt, path = found
        if ckpt.get("config_hash") != self.config_hash:
            self.log(f"checkpoint {path} belongs to another config; starting this run from scratch")
            return None
        return found

    def _restore_model(self, ckpt: dict[str, Any], path: Path) -> None:
        """Switch the layers the checkpoint had switched, then load its weights.

        A checkpoint whose model state has other keys or shapes than this code's model was written by
        another prs-bench. E.g. one from suite v4, whose switched layers had a sigmoid gate, a locality
        buffer and a separate content value path instead of v5's learned soft share, linear gate and
        shared value: whatever values were filled in, the run would go on under other rules than it
        began with. Its config hash can still match (a suite file that kept its name,
        version and content), so it is refused here, in one line, before anything is written.
        """
        self.switching.restore(self.model, ckpt["reparam"])
        want, have = set(self.model.state_dict()), set(ckpt["model"])
        missing, extra = sorted(want - have), sorted(have - want)
        problem = "; ".join(
            f"{what.format(len(keys))}, e.g. {keys[0]!r}"
            for what, keys in (("lacks {} key(s) of this model", missing), ("has {} key(s) this model lacks", extra))
            if keys
        )
        if not problem:
            try:
                self.model.load_state_dict(ckpt["model"])
            except RuntimeError as exc:  # same keys, other shapes
                problem = str(exc).strip().splitlines()[-1].strip()
        if problem:
            raise BenchError(
                f"checkpoint {path} was written by another prs-bench version and cannot continue this run (its model "
                f"state {problem}): rerun without --resume to train the run from the start (finished runs are kept)"
            )

    def _load(self, ckpt: dict[str, Any]) -> None:
        self.engine.opt.load_state_dict(ckpt["optimizer"])
        self.engine.scaler.load_state_dict(ckpt["scaler"])
        self.sched.load_state_dict(ckpt["lr_schedule"])
        ranks = ckpt["rng"]["ranks"]
        same_world = len(ranks) == self.dist.world
        mine = ranks[self.dist.rank] if same_world else ranks[0]
        if same_world or self.dist.rank == 0:
            restore_rng(mine)
        self.aug.load_state_dict(mine["augment"])
        if same_world:
            self.sums.t.copy_(mine["sums"])
        elif self.dist.rank == 0:
            self.sums.t.copy_(sum(r["sums"] for r in ranks))
        saved = ckpt["position"]
        self.pos = Position(
            saved["epoch"],
            saved["step_in_epoch"],
            saved["global_step"],
            saved["applied_epoch"],
            list(ckpt["history"]),
            list(ckpt["events"]),
        )
        note = "" if same_world else f" (saved with {len(ranks)} ranks, now {self.dist.world}: not bitwise)"
        self.event(
            "resume",
            epoch=saved["epoch"],
            step_in_epoch=saved["step_in_epoch"],
            global_step=saved["global_step"],
            note=note or None,
            record=False,
        )
        self.log(f"    resuming at epoch {saved['epoch'] + 1}, step {saved['step_in_epoch']}{note}")

    def checkpoint(self, reason: str) -> None:
        """Every rank takes part (RNG states are gathered); rank 0 writes."""
        mine = {**capture_rng(), "augment": self.aug.state_dict(), "sums": self.sums.t.cpu().clone()}
        ranks = gather_objects(mine, self.dist)
        if not self.writes:
            return
        pos = self.pos
        state = {
            "config_hash": self.config_hash,
            "seed": self.seed,
            "position": {
                "epoch": pos.epoch,
                "step_in_epoch": pos.step_in_epoch,
                "global_step": pos.global_step,
                "applied_epoch": pos.applied_epoch,
            },
            "model": self.model.state_dict(),
            "reparam": self.switching.state(self.model, monitor=True),
            "optimizer": self.engine.opt.state_dict(),
            "optimizer_groups": group_layout(self.model, self.engine.opt),
            "lr_schedule": self.sched.state_dict(),
            "scaler": self.engine.scaler.state_dict(),
            "rng": {"ranks": ranks, "data_order": {"seed": self.seed, "rule": "randperm(seed * 1000003 + epoch)"}},
            "history": pos.history,
            "events": pos.events,
        }
        assert self.run_dir is not None  # self.writes implies a run folder
        path = save_checkpoint(self.run_dir, state, pos.global_step, self.opts.keep_checkpoints)
        self.event(
            "checkpoint",
            reason=reason,
            path=path.name,
            epoch=pos.epoch,
            step_in_epoch=pos.step_in_epoch,
            global_step=pos.global_step,
            record=False,
        )

    def event(self, kind: str, record: bool = True, **fields: Any) -> None:
        """Log to the JSONL file; ``record`` events also go into the run record."""
        self.events_log.write(kind, **fields)
        if record:
            self.pos.events.append(plain({"event": kind, **fields}))
        if kind == "switch":
            self.tracking.switch(plain(fields))

    # ---- training ----------------------------------------------------------------------------

    def _sync_check(self, stop: StopFlag) -> tuple[bool, bool]:
        """(a loss since the epoch began was not finite, stop requested), agreed by every rank."""
        flags = torch.stack(
            [
                (~torch.isfinite(self.sums.t[0])).double(),
                torch.tensor(float(stop.requested is not None), dtype=torch.float64, device=self.sums.t.device),
            ]
        )
        flags = all_reduce_sum(flags, self.dist)
        bad, stop_now = flags.tolist()
        return bad > 0, stop_now > 0

    def run_epoch(self, stop: StopFlag) -> str | None:
        """Train from the current position to the epoch's end; returns an error message or None."""
        pos, recipe, engine = self.pos, self.recipe, self.engine
        graphs0 = compiled_graphs()
        if pos.step_in_epoch == 0 and pos.applied_epoch < pos.epoch:
            switches = self.switching.apply(self.model, pos.epoch, recipe.epochs, engine.opt, pos.global_step)
            pos.applied_epoch = pos.epoch
            for s in switches:
                self.event("switch", **{"epoch": pos.epoch, **{k: v for k, v in s.items() if k != "event"}})
            if switches:
                engine.wrap()
        self.model.train()
        bar = epoch_bar(self.steps_per_epoch, pos.epoch, recipe.epochs, self.progress, initial=pos.step_in_epoch)
        timer, seen0, t0 = DeviceTimer(self.device), pos.step_in_epoch, time.perf_counter()
        timer.start()
        lr = self.sched.lr_at(pos.global_step)
        batches = self.train.train_batches(
            self.seed, pos.epoch, recipe.batch_size, pos.step_in_epoch, self.dist, self.steps_per_epoch
        )
        for xb, yb, n_global, sl in batches:
            lr = self.sched.apply(engine.opt, pos.global_step)
            self.switching.soften(self.model, recipe.epochs, pos.epoch, pos.step_in_epoch, self.steps_per_epoch)
            x, target, y = self.aug(xb, yb, n_global, sl)
            loss, correct = engine.train_step(x, target, y)
            self.sums.add(loss, correct, y.shape[0])
            pos.global_step += 1
            pos.step_in_epoch += 1
            last = pos.step_in_epoch == self.steps_per_epoch
            if pos.global_step % self.opts.sync_every == 0 or last:  # type: ignore[operator]
                bad, stop_now = self._sync_check(stop)
                if bad:
                    bar.close()
                    return (
                        f"loss became {loss.item()} at epoch {pos.epoch + 1} step {pos.step_in_epoch} "
                        f"(global step {pos.global_step}, lr {lr:.3g}); the run stopped"
                    )
                self._bar(bar, (pos.step_in_epoch - seen0) * recipe.batch_size / (time.perf_counter() - t0))
                if stop_now and not last:
                    bar.close()
                    self.checkpoint("interrupt")
                    raise Interrupted(f"stopped at epoch {pos.epoch + 1} step {pos.step_in_epoch}; checkpoint written")
            if self.opts.checkpoint_steps and pos.global_step % self.opts.checkpoint_steps == 0 and not last:
                self.checkpoint("steps")
        bar.close()
        seconds = timer.stop()
        self._end_epoch(lr, seconds, (pos.step_in_epoch - seen0) * recipe.batch_size, graphs0)
        if self._sync_check(stop)[1]:  # agreed: a rank-local decision would leave the others in a collective
            self.checkpoint("interrupt")
            raise Interrupted(f"stopped after epoch {pos.epoch}; checkpoint written")
        return None

    def _bar(self, bar: Any, img_per_s: float) -> None:
        """Display only (a host sync): rank-local running loss and accuracy, approximate img/s."""
        if bar.disable:
            return
        loss_sum, correct, seen = self.sums.t.tolist()
        bar.n = self.pos.step_in_epoch
        bar.set_postfix(
            {
                "img/s": f"{img_per_s:.0f}",
                "loss": f"{loss_sum / max(seen, 1):.3f}",
                "acc": f"{100 * correct / max(seen, 1):.1f}",
            },
            refresh=False,
        )
        bar.refresh()

    def _end_epoch(self, lr: float, seconds: float, images: int, graphs0: int) -> None:
        pos = self.pos
        loss_sum, correct, seen = all_reduce_sum(self.sums.t.clone(), self.dist).tolist()
        entry = {
            "epoch": pos.epoch + 1,
            "steps": pos.global_step,
            TRAIN_LOSS: loss_sum / max(seen, 1),
            TRAIN_ACC: 100 * correct / max(seen, 1),
        }
        if (pos.epoch + 1) % self.recipe.eval_every == 0 or pos.epoch + 1 >= self.recipe.epochs:
            entry[TEST_LOSS], entry[TEST_ACC] = self.evaluate()
        entry |= {
            "lr": lr,
            "time_s": round(seconds, 4),
            "img_per_s": round(images / seconds, 1) if seconds > 0 else None,
        }
        if self.opts.compile:  # graphs compiled this epoch (train + eval): > 0 only at the start and at switches
            entry["compiled_graphs"] = compiled_graphs() - graphs0
        diag = self.switching.diagnostics(self.model)
        if diag is not None:
            entry["layers"] = diag
        pos.history.append(entry)
        self.events_log.write("epoch", **entry)
        self.epochs_here += 1
        if not self.progress and self.dist.is_main:  # no bar on screen: one line per epoch instead
            spent = time.perf_counter() - self.started  # evaluation included, unlike time_s
            self.log(epoch_line(self.run_name, entry, self.recipe.epochs, spent, self.epochs_here))
        self.tracking.epoch(entry)
        pos.epoch += 1
        pos.step_in_epoch = 0
        self.sums.reset()
        every = self.opts.checkpoint_every
        if every and (pos.epoch % every == 0 or pos.epoch == self.recipe.epochs):
            self.checkpoint("epoch")

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        self.model.eval()
        sums = torch.zeros(3, dtype=torch.float64, device=self.device)
        batch = self.opts.eval_batch
        assert batch is not None  # resolve_options filled it
        for x, y in self.test.eval_batches(batch, self.dist):
            xf = self.aug.eval(x) if x.dtype == torch.uint8 else x.float()
            logits = self.engine.eval_logits(xf)
            sums[0] += F.cross_entropy(logits, y, reduction="sum").double()
            sums[1] += (logits.argmax(1) == y).sum().double()
            sums[2] += y.shape[0]
        loss_sum, correct, n = all_reduce_sum(sums, self.dist).tolist()
        self.model.train()
        return loss_sum / max(n, 1), 100.0 * correct / max(n, 1)

    def finish(self, error: str | None) -> TrainResult:
        pos = self.pos
        status = "failed" if error else "complete"
        self.events_log.write("end", status=status, error=error, global_step=pos.global_step)
        self.tracking.close(status)
        if error:
            return TrainResult("failed", history=pos.history, events=pos.events, error=error)
        last = pos.history[-1]
        # test_acc is the final epoch's top-1 (what the benchmark reports); test_acc_best the best
        # epoch's, selected on the test set: kept only to compare with sources that report it
        best = max((h for h in pos.history if TEST_ACC in h), key=lambda h: h[TEST_ACC])
        metrics = {
            TEST_ACC: last[TEST_ACC],
            TEST_ACC_BEST: best[TEST_ACC],
            "best_epoch": best["epoch"],
            TEST_LOSS: last[TEST_LOSS],
            TRAIN_LOSS: last[TRAIN_LOSS],
            TRAIN_ACC: last[TRAIN_ACC],
            "num_classes": self.data.num_classes,
            "epochs": pos.epoch,
            "steps": pos.global_step,
        }
        if self.writes:
            assert self.run_dir is not None  # self.writes implies a run folder
            save_final(
                self.run_dir,
                self.model,
                model_name=self.config["model"]["name"],
                model_kwargs=model_kwargs(self.config, self.recipe),
                num_classes=self.data.num_classes,
                reparam=self.switching.state(self.model),
                config_hash=self.config_hash,
                metrics=metrics,
                data_config=self._pretrained_cfg(),
            )
        end = size_stats(self.model, self.image_size)
        stats = {
            "params_start": self.stats_start["params"],
            "params_end": end["params"],
            "gflops_start": self.stats_start["gflops"],
            "gflops_end": end["gflops"],
        }
        return TrainResult("complete", metrics=metrics, history=pos.history, events=pos.events, model_stats=stats)

    def _pretrained_cfg(self) -> dict[str, Any]:
        """timm's data config of the final weights: the size and normalisation the run trained with."""
        mean, std = self.data.normalization()  # present: __init__ normalised with it
        return pretrained_cfg(self.config["model"]["name"], self.data.num_classes, self.image_size, mean, std)


# what the runner calls (``run_all(trainer=...)``; tests pass fakes with this signature)
Trainer = Callable[[RunSpec, DataBundle, RunContext], TrainResult]


def train_run(spec: RunSpec, data: DataBundle, ctx: RunContext) -> TrainResult:
    """Train ``spec.config`` with ``spec.seed`` on ``data``, executed as ``ctx`` says.

    Checkpoints carry ``spec.config_hash`` (a resume only continues a checkpoint with the same
    hash); trackers (``ctx.options.log_to``) name the run ``spec.run_id``. Raises ``Interrupted``
    after checkpointing on SIGINT/SIGTERM.
    """
    opts = resolve_options(ctx.options, ctx.device)
    with fast_kernels(ctx.device):
        run = Run(spec, data, ctx, opts)
        run.start(ctx.resume)
        try:
            with StopFlag() as stop:
                while run.pos.epoch < run.recipe.epochs:
                    error = run.run_epoch(stop)
                    if error:
                        return run.finish(error)
            return run.finish(None)
        except BaseException:
            run.tracking.close("interrupted")
            raise
