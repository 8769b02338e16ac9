"""ModelStack's model server: one HTTP server for SageMaker's and Vertex AI's custom container contracts."""
