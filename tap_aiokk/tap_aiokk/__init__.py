"""tap-aiokk: a Singer tap for aiokk's export API of AI call analyses."""
