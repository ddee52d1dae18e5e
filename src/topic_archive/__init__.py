"""The custom resource that deactivates a FIFO topic's message archive before CloudFormation deletes the topic."""
