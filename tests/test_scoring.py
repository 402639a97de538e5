"""The scorer: every execution path equals eager PyTorch, batch sizes change nothing, the measured plan only picks
paths that agree, and cancel / progress work."""

import pytest
import torch
from torch import nn
from toy_models import CLASSES, TOY_LABELS, TOY_PREPROCESS

from cam_methods import scoring
from cam_methods.scoring import Cancelled, Scorer, score_inputs, scorer_for
from model_zoo import Backbone
from model_zoo.bundled import efficientnet_lite0
from model_zoo.timm_models import EFFICIENTNET_LITE0

KEYS = (3, 1)


class ConvBnNet(nn.Module):
    """conv → BatchNorm → ReLU → GAP → linear, with non-trivial running statistics."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6, CLASSES)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


@pytest.fixture()
def toy() -> Backbone:
    torch.manual_seed(5)
    return Backbone("convbn", "ConvBn", "cnn", ConvBnNet(), TOY_PREPROCESS, ("bn",), "bn", labels=TOY_LABELS)


def inputs(count: int, size: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.randn(count, 3, size, size, generator=torch.Generator().manual_seed(seed))


def one_at_a_time(backbone: Backbone, x: torch.Tensor, keys=KEYS) -> torch.Tensor:
    """The reference: each input alone through the plain model, ``softmax(y)[keys]`` in float64."""
    with torch.no_grad():
        return torch.cat([backbone.model(image[None]).double().softmax(-1)[:, list(keys)] for image in x])


def test_every_path_equals_eager_one_image_at_a_time(toy):
    x = inputs(7)
    expected = one_at_a_time(toy, x)
    for name, runner in scorer_for(toy).runners().items():
        scores = toy.score_outputs(runner(x), KEYS).double()
        torch.testing.assert_close(scores, expected, atol=1e-4, rtol=0, msg=name)


def test_bundled_paths_equal_eager_within_1e4():
    # a Lite0 of its own: the shared fixture's scorer may have been kept to one path by another test file
    lite0 = EFFICIENTNET_LITE0.backbone(efficientnet_lite0())
    x = inputs(3, 224, seed=1)
    keys = (281, 282, 285)
    expected = one_at_a_time(lite0, x, keys)
    runners = scorer_for(lite0).runners()
    assert {"eager", "channels_last"} <= set(runners)
    for name, runner in runners.items():
        torch.testing.assert_close(lite0.score_outputs(runner(x), keys).double(), expected, atol=1e-4, rtol=0, msg=name)
    torch.testing.assert_close(score_inputs(lite0, x, keys).double(), expected, atol=1e-4, rtol=0)


def test_the_onnx_path_hands_its_arena_back_and_still_equals_eager():
    """``release()`` runs one blank image with arena shrinkage on; the session keeps working, with the same scores
    (onnxruntime is a dev dependency, so CI runs this)."""
    lite0 = EFFICIENTNET_LITE0.backbone(efficientnet_lite0())
    runners = scorer_for(lite0).only("onnx").runners()
    x, keys = inputs(4, 224, seed=2), (281, 285)
    before = lite0.score_outputs(runners["onnx"](x), keys)
    runners["onnx"].release()
    torch.testing.assert_close(lite0.score_outputs(runners["onnx"](x), keys), before, atol=1e-6, rtol=0)
    torch.testing.assert_close(before.double(), one_at_a_time(lite0, x, keys), atol=1e-4, rtol=0)


def test_a_job_releases_its_paths_memory_when_done_and_when_cancelled(toy, monkeypatch):
    eager = scoring.candidate_runners(toy)["eager"]

    class Kept:
        """A path that keeps memory between batches, counting releases and the batches run since the last."""

        def __init__(self) -> None:
            self.releases, self.batches = [], 0

        def __call__(self, x: torch.Tensor) -> torch.Tensor:
            self.batches += 1
            return eager(x)

        def release(self) -> None:
            self.releases.append(self.batches)
            self.batches = 0

    kept = Kept()
    monkeypatch.setattr(scoring, "candidate_runners", lambda backbone, allowed: {"eager": eager, "kept": kept})
    scorer = Scorer(toy).fix("kept", 4)
    scorer.score(inputs(10), KEYS)
    assert kept.releases == [3]  # once, after the job's three batches
    with pytest.raises(Cancelled):
        scorer.score(inputs(10), KEYS, cancel=lambda: kept.batches == 2)
    assert kept.releases == [3, 2]


def test_scores_do_not_depend_on_the_batch_size(toy):
    x = inputs(11)
    expected = one_at_a_time(toy, x)
    for batch_size in (None, 1, 3, 4, 11, 64):
        scores = scorer_for(toy).score(x, KEYS, batch_size=batch_size)
        assert scores.shape == (11, len(KEYS))
        torch.testing.assert_close(scores.double(), expected, atol=1e-5, rtol=0, msg=str(batch_size))


def test_plan_picks_the_fastest_agreeing_path_and_is_measured_once(toy, monkeypatch):
    eager = scoring.candidate_runners(toy)["eager"]
    calls = {"wrong": 0}

    def wrong(x: torch.Tensor) -> torch.Tensor:  # instant, but its scores differ: must never be chosen
        calls["wrong"] += 1
        return eager(x) + 1

    monkeypatch.setattr(scoring, "candidate_runners", lambda backbone, allowed: {"eager": eager, "wrong": wrong})
    scorer = Scorer(toy)
    plan = scorer.plan((3, 8, 8))
    assert plan.path == "eager" and calls["wrong"] == 1  # only the agreement check ran it
    assert all(path == "eager" for path, _ in plan.timings)
    assert plan.batch_size in {size for _, size in plan.timings}
    assert plan.seconds_per_image == min(plan.timings.values())
    assert scorer.plan((3, 8, 8)) is plan
    torch.testing.assert_close(scorer.score(inputs(5), KEYS).double(), one_at_a_time(toy, inputs(5)), atol=1e-5, rtol=0)


def test_built_inputs_progress_rises_to_one_and_cancel_stops_between_batches(toy):
    x = inputs(10)
    built: list[tuple[int, int]] = []
    seen: list[float] = []

    def build(start: int, stop: int) -> torch.Tensor:
        built.append((start, stop))
        return x[start:stop]

    scores = scorer_for(toy).score_built(10, build, KEYS, (3, 8, 8), 4, progress=lambda f, m: seen.append(f))
    assert built == [(0, 4), (4, 8), (8, 10)] and seen == [0.4, 0.8, 1.0]
    torch.testing.assert_close(scores.double(), one_at_a_time(toy, x), atol=1e-5, rtol=0)

    asked = []
    with pytest.raises(Cancelled):
        scorer_for(toy).score_built(10, build, KEYS, (3, 8, 8), 4, cancel=lambda: asked.append(1) or len(asked) > 1)
    assert built[-1] == (0, 4)  # the second batch was never built


def test_only_keeps_eager_and_the_named_paths(toy):
    scorer = Scorer(toy)
    assert set(scorer.runners()) >= {"eager", "channels_last"}
    assert list(scorer.only().runners()) == ["eager"]
    assert scorer.plan((3, 8, 8)).path == "eager"
    assert list(Scorer(toy).only("channels_last").runners()) == ["eager", "channels_last"]


def test_a_fixed_plan_is_used_for_every_shape_unmeasured(toy):
    scorer = Scorer(toy).fix("eager", 3)
    assert scorer.plan((3, 8, 8)).batch_size == 3 and scorer.plan((3, 16, 16)).path == "eager"
    assert list(scorer.runners()) == ["eager"]
    with pytest.raises(ValueError, match="not available"):
        Scorer(toy).fix("no-such-path", 2)
