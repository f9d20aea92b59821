"""The service layer: Discord, the console and the tests all call it the same way.

Plain values in (member ids, free text), plain dataclasses out (results.py); no Discord types.
Anything a member did wrong is a UserError whose message can be shown as is (errors.py). Model work
runs off the event loop. One module per feature, gathered on one Service object (facade.py):

  model_holder  the served model: loading, the hot swap, the one retrain at a time
  titles        title search and resolution, the adult-content audience
  ratings       /rate, /unrate, /ratings, /import, /forget, "not interested"
  recommend     /recommend and onboarding
  similar       /similar
  watchparty    /watchparty and its votes
  community     /taste, /compare, /score, /server top, /privacy: the server as a community
  stats         /stats
"""

from animerec.bot.service.errors import SOMETHING_WENT_WRONG, TitleChoice, UserError, WarmingUp, member_message
from animerec.bot.service.facade import Service, open_service

__all__ = ["SOMETHING_WENT_WRONG", "Service", "TitleChoice", "UserError", "WarmingUp", "member_message", "open_service"]
