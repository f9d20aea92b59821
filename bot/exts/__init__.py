"""One extension per feature; each parses the interaction, calls the service and renders."""
