"""Route planning inside the platform: night shifts with live re-planning, home-care visit
requests, and collection routes, on top of the solvers in `tilsyn.routing`."""
