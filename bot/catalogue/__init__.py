"""The offers and the map: models, loading, communes, themes."""
