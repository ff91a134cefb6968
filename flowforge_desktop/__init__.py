"""FlowForge Desktop: a desktop workflow designer, step debugger and background runner."""

__version__ = "0.1.0"
