"""Several nodes: the task-queue worker, `prokai run` leadership, the workers table."""
