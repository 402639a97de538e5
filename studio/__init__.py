"""The glue between CAM Studio's engine and its Gradio app: choices, session state, rendering, handlers.

``app.py`` holds only the Blocks layout and the event wiring; everything it calls lives here.
"""
