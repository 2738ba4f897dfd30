"""visit-analyzer: local relational-communication feedback for recorded clinical visits."""
from .model import Speaker, Transcript, Utterance, Word

__all__ = ["Speaker", "Transcript", "Utterance", "Word"]
__version__ = "0.1.0"
