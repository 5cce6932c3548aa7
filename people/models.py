# Models of the people app live in their own modules; imported here so Django finds them.
from people.tokens import PersonalToken

__all__ = ["PersonalToken"]
