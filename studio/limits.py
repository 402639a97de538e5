"""Bounds for a public Space (2 vCPU, 16 GB RAM, ~50 GB disk): every number that limits what one visitor can
cost the server, each with its reason. The README's "Bounds for a public Space" lists them."""

from __future__ import annotations

MB = 2**20

# Memory: results (the Explanation: image, input, activations, gradients) are held per session in an LRU.
MAX_SESSIONS_WITH_RESULTS = 32  # ~6 MB each on the bundled model (measured), so ~200 MB for everyone's maps
RESULTS_IDLE_SECONDS = 1800  # results nobody touched for 30 minutes are dropped with their files
MAX_SESSIONS = 2000  # session records without results are a few hundred bytes; past this the oldest go

# Disk: every rendered picture lives in its session's folder inside Gradio's cache (served without a copy).
DISK_BUDGET_BYTES = 150 * MB  # all sessions' files together; past it the least recently used sessions' go
MAX_FILES_PER_SESSION = 120  # overlays of two full panels plus previews; older files are deleted first
OVERLAY_QUALITY = 90  # gallery overlays are JPEG (~5× smaller than PNG); the Download zip keeps PNG

# CPU: one model call at a time for everyone, and a fair share of the queue per visitor.
QUEUE_SIZE = 32  # model calls waiting in all; more get "the server is busy"
MAX_JOBS_PER_SESSION = 2  # a tab or API client may have one running and one waiting
MAX_MAPS_PER_RUN = 48  # methods × prompts in one Explain (each slow map costs seconds)
GAMMA_STEP = 0.05  # the slider's step: γ is rounded to it, so a session has at most 41 distinct Finer renders

# Requests: uploads are capped by Gradio; every other request body by us, before it is parsed.
MAX_UPLOAD = "20mb"
MAX_REQUEST_BYTES = 1 * MB  # JSON bodies: 8 prompts of 200 characters need a few KB

# CPU of the display events (slider, colormap, compare), which skip the queue: each costs Gradio ~17 ms.
DISPLAY_INTERVAL_S = 0.05  # a session's display requests start at most 20 a second (a drag needs fewer)
DISPLAY_MAX_WAIT_S = 2.0  # a request that would wait longer than this for its turn gets HTTP 429
