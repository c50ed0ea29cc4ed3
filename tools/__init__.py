"""Tools only developers run (stub generation); nothing in the service imports them."""
