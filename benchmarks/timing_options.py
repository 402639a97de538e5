"""The command-line options that the timing benchmarks share: how many rounds, and how many torch threads."""

from __future__ import annotations

import argparse

import torch


def timing_arguments(description: str, rounds: int = 5) -> argparse.Namespace:
    """Parse ``--rounds`` and ``--threads`` and apply the thread count to torch."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    return args
