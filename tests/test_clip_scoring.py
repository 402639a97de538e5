"""CLIP's score for Score-CAM, Abs-CAM phase 2, FGVis and the metrics: the zero-shot probability of the prompt
against the class prompts, checked against open_clip's own encoders and a softmax by hand."""

import open_clip
import pytest
import torch
import torch.nn.functional as F
from random_backbones import tiny_clip

from cam_methods.scoring import score_inputs

LABELS = ("tabby cat", "golden retriever", "sports car")
CAT, DOG = "a photo of a cat", "a photo of a golden retriever"


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return tiny_clip("tiny-clip", labels=LABELS)


def test_score_outputs_is_the_softmax_over_the_prompts_and_the_class_prompts(tiny):
    clip = tiny.prompt_scorer.clip
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    candidates = [CAT, DOG, *(f"a photo of a {label}" for label in LABELS)]  # DOG is also a class prompt
    candidates = list(dict.fromkeys(candidates))
    with torch.no_grad():
        image = F.normalize(clip.encode_image(x), dim=-1)
        text = F.normalize(clip.encode_text(open_clip.tokenize(candidates)), dim=-1)
        by_hand = (clip.logit_scale.exp() * image @ text.T).softmax(dim=-1)[:, :2]
    scores = score_inputs(tiny, x, [CAT, DOG])
    torch.testing.assert_close(scores, by_hand, atol=1e-5, rtol=1e-4)
    class_prompts = list(tiny.prompt_scorer.class_prompts)
    with torch.no_grad():
        total = tiny.score_outputs(tiny.model(x), class_prompts).sum(dim=1)
    torch.testing.assert_close(total, torch.ones(2))  # alone, the class prompts' probabilities sum to 1


def test_the_probability_keeps_its_gradient_for_fgvis(tiny):
    x = torch.randn(1, 3, 224, 224, requires_grad=True)
    tiny.score_outputs(tiny.model(x), [CAT])[0, 0].backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
