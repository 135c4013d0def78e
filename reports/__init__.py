"""Static reports (self-contained HTML and PDF) built from the same core figures and charts the pages show."""
