"""The glue between CAM Studio's engine and its Gradio app. ``app.py`` holds the layout and the wiring;
the handlers it wires live in ``handlers`` (model calls) and ``display_handlers`` (no model call), and
they use the session store (``session``, ``files``), the page's pieces (``tiles``, ``views``,
``faithfulness_panel``, ``learn``, ``toy``), the choices offered (``choices``) and the bounds of a
public deployment (``limits``, ``fair_use``, ``request_limit``, ``errors``).
"""
