"""The workflow document: pydantic models, the networkx graph, the JSON codec and validation. Pure Python."""

from flowforge_desktop.model.changes import Connection
from flowforge_desktop.model.codec import LoadResult, dumps, load_data, load_path, loads, save_path, to_data
from flowforge_desktop.model.document import Fragment, WorkflowDocument, WorkflowSnapshot
from flowforge_desktop.model.errors import EditRefused, Problem, WorkflowLoadError
from flowforge_desktop.model.schema import NodeSpec, WorkflowFile, WorkflowSettings

__all__ = [
    "Connection",
    "EditRefused",
    "Fragment",
    "LoadResult",
    "NodeSpec",
    "Problem",
    "WorkflowDocument",
    "WorkflowFile",
    "WorkflowLoadError",
    "WorkflowSettings",
    "WorkflowSnapshot",
    "dumps",
    "load_data",
    "load_path",
    "loads",
    "save_path",
    "to_data",
]
