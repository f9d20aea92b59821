"""The server as a community: /taste, /compare, /score, /server top, /privacy."""
