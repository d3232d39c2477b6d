"""The answer engine: retrieve → classify → ask the model a small job → verify every sentence → escalate or not.

Code outside this package (the surfaces, ticket drafting, LoRA's evaluation, the benchmark) uses only the
names exported here; plug-ins (LoRA's adapters, vision's screenshot text) register through
``assistants.engine.registry`` instead of being imported by the engine.

Besides ``answer``, ``answer_stream`` and ``Answer``: ``Turn`` (the history they take), ``STRATEGY_CHOICES``
(the assistant model's field) and ``strategy_for`` (the one an assistant answers with now), ``URGENT`` (chats
rank urgent requests the same way), ``build_messages``
(LoRA trains on the very prompt the engine sends) and the nearest-example classifier ``classify`` with its
``Embed`` type and temperature (vision labels screenshots with it).
"""

from assistants.engine.answering import URGENT, Answer, answer, answer_stream, strategy_for
from assistants.engine.classification import TEMPERATURE as CLASSIFIER_TEMPERATURE
from assistants.engine.classification import Embed, classify
from assistants.engine.prompting import Turn, build_messages
from assistants.engine.strategies import CHOICES as STRATEGY_CHOICES

__all__ = [
    "CLASSIFIER_TEMPERATURE",
    "STRATEGY_CHOICES",
    "URGENT",
    "Answer",
    "Embed",
    "Turn",
    "answer",
    "answer_stream",
    "build_messages",
    "classify",
    "strategy_for",
]
