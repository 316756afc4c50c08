"""Pure rules of the portal: who sees what, Russian formats, the federal board, uploads."""
