"""The unit console (承办单位办理台): the page `/unit` where a handling unit's account works its
inbox through the closed-loop API (`/api/units/orders`, `/api/tickets/{number}/{action}`)."""
