"""agenthost: serve any Python agent over the standard agent protocols, with sandboxed tools."""

from .adapter import Adapter, AgentInfo, Skill
from .app import AgentApp
from .config import Config, load_config, parse_config
from .context import RunContext, current_run, get_run_context
from .errors import AgentHostError, ConfigError, PluginError, SessionBusy, UnknownAgent, UnknownRun
from .events import (
    Artifact,
    DataPart,
    Event,
    FilePart,
    InputRequired,
    Message,
    MessageCompleted,
    MessageDelta,
    ReasoningDelta,
    RunCancelled,
    RunCompleted,
    RunFailed,
    RunInput,
    RunStarted,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
    new_id,
)
from .frontend import Frontend
from .hookspecs import hookimpl
from .host import Host
from .options import NoOptions

__all__ = [
    "Adapter",
    "AgentApp",
    "AgentHostError",
    "AgentInfo",
    "Artifact",
    "Config",
    "ConfigError",
    "DataPart",
    "Event",
    "FilePart",
    "Frontend",
    "Host",
    "InputRequired",
    "Message",
    "MessageCompleted",
    "MessageDelta",
    "NoOptions",
    "PluginError",
    "ReasoningDelta",
    "RunCancelled",
    "RunCompleted",
    "RunContext",
    "RunFailed",
    "RunInput",
    "RunStarted",
    "SessionBusy",
    "Skill",
    "TextPart",
    "ToolCall",
    "ToolResult",
    "UnknownAgent",
    "UnknownRun",
    "Usage",
    "UsageEvent",
    "current_run",
    "get_run_context",
    "hookimpl",
    "load_config",
    "new_id",
    "parse_config",
]
