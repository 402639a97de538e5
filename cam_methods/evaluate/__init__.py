"""Faithfulness of CAM methods over whole datasets: ``python -m cam_methods.evaluate run|summary``.

``dataset`` lists the samples; ``work`` is one image's work (the same in every engine); ``runner_local``
(a DataLoader) and ``runner_ray`` (Ray Data) are the engines, ``progress`` their progress bar; ``table``
keeps the Parquet parts and merges them; ``run`` ties them together (:func:`run.evaluate`); ``summary``,
``statistics`` (bootstrap intervals) and ``figures`` read a finished run.
"""
