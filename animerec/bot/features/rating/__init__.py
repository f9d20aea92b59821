"""/rate, /unrate, /ratings, /import (a MyAnimeList export) and /forget."""
